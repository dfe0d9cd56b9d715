"""Doctor results kept between runs: ``<user state dir>/crosswire/doctor.json``, so that
``crosswire models`` can say when each model was last verified.

One entry per model alias, replaced whenever doctor probes that model again::

    {"models": {"k26": {"provider": "nim", "model": "moonshotai/kimi-k2.6",
                        "checked_at": "2025-06-01T09:30:00+00:00", "ok": true,
                        "formats": ["anthropic", ...], "failed": ["gemini/image"]}}}

An entry counts only while the alias still names the same provider and upstream model.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from crosswire.config import Config, ModelConfig
from crosswire.config.paths import APP_NAME
from crosswire.doctor.report import Report

RESULTS_FILE = "doctor.json"


def results_path() -> Path:
    """``<user state dir>/crosswire/doctor.json`` (may not exist)."""
    return Path(platformdirs.user_state_dir(APP_NAME)) / RESULTS_FILE


@dataclass(frozen=True, slots=True)
class Verification:
    """The last doctor verdict on one model."""

    checked_at: str
    """ISO 8601 UTC time of the run."""
    ok: bool
    failed: tuple[str, ...]
    """``format/probe`` pairs that failed."""

    @property
    def date(self) -> str:
        return self.checked_at[:10]


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_results(report: Report, config: Config, path: Path | None = None) -> Path:
    """Merge the models ``report`` probed into the results file; returns its path."""
    target = path or results_path()
    data = _read(target)
    entries = data.get("models")
    entries = entries if isinstance(entries, dict) else {}
    for alias in report.models():
        model = config.models[alias]
        probes = [p for p in report.probes if p.model == alias]
        entries[alias] = {
            "provider": model.provider,
            "model": model.model,
            "checked_at": report.checked_at,
            "ok": all(p.ok for p in probes),
            "formats": list(dict.fromkeys(p.format for p in probes)),
            "failed": [f"{p.format}/{p.probe}" for p in probes if not p.ok],
        }
    data["models"] = entries
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    scratch.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    scratch.replace(target)
    return target


def load_verifications(
    models: dict[str, ModelConfig], path: Path | None = None
) -> dict[str, Verification]:
    """The last verdict for each alias of ``models`` that doctor has probed as it is now."""
    entries = _read(path or results_path()).get("models")
    if not isinstance(entries, dict):
        return {}
    found: dict[str, Verification] = {}
    for alias, model in models.items():
        entry = entries.get(alias)
        if not isinstance(entry, dict):
            continue
        if (entry.get("provider"), entry.get("model")) != (model.provider, model.model):
            continue  # the alias now means something else: that verdict is stale
        failed = entry.get("failed")
        found[alias] = Verification(
            str(entry.get("checked_at", "")),
            bool(entry.get("ok")),
            tuple(str(f) for f in failed) if isinstance(failed, list) else (),
        )
    return found
