"""``crosswire doctor``: which paths actually work, verified rather than assumed.

1. :mod:`.config_checks` — the loader's verdict on the config file (file, key, fix) plus
   non-fatal checks it does not make;
2. :mod:`.reachability` — each provider's TCP reachability and, where the format has a free
   authenticated request (a model list), whether the key is accepted;
3. :mod:`.probes` — live probes per client format x model through an in-process gateway
   (:mod:`.gateway`), with the requests each format's official SDK sends (:mod:`.wire`);
4. :mod:`.history` — the verdicts saved for ``crosswire models``.

:func:`~.runner.run_doctor` runs all of it into a :class:`~.report.Report`.
"""

from crosswire.doctor.history import load_verifications, results_path, save_results
from crosswire.doctor.report import (
    CLIENT_FORMATS,
    PROBES,
    Finding,
    ProbeResult,
    ProviderCheck,
    Report,
)
from crosswire.doctor.runner import Plan, run_doctor

__all__ = [
    "CLIENT_FORMATS",
    "PROBES",
    "Finding",
    "Plan",
    "ProbeResult",
    "ProviderCheck",
    "Report",
    "load_verifications",
    "results_path",
    "run_doctor",
    "save_results",
]
