"""What ``crosswire doctor`` found: config findings, provider checks and probe results, as plain
dataclasses that turn into the ``--json`` document.

Every string that can come from outside (an upstream's error message, an exception) passes
through :class:`Scrubber` before it is stored, so no configured secret can reach the output.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from crosswire.config import Config
from crosswire.config.secrets import is_sensitive_header, redact_secret

Level = Literal["error", "warning", "note"]
CLIENT_FORMATS = ("anthropic", "openai_chat", "openai_responses", "gemini")
"""The four client wire formats probed, in display order."""
PROBES = ("text", "stream", "tools", "thinking", "image")
"""Every probe, in the order they run; ``thinking`` and ``image`` only when declared."""
MIN_SECRET_LENGTH = 6
"""Shorter configured values are not scrubbed (they would match ordinary words)."""


@dataclass(slots=True)
class Finding:
    """One problem or remark about the config file."""

    level: Level
    """``error`` (the gateway cannot start), ``warning`` (likely a mistake) or ``note``."""
    message: str
    """What is wrong, with the file and key when known."""
    fix: str = ""
    """What to change; ``""`` when there is nothing useful to say."""
    key: str = ""
    """Dotted TOML key (``providers.nim.api_key``), when the finding is about one key."""


@dataclass(slots=True)
class ProviderCheck:
    """Reachability and key validity of one provider."""

    provider: str
    type: str
    url: str
    """The URL that was checked (``""`` for the built-in echo provider)."""
    key: str
    """The key, redacted (``nva…1234``), with where it came from; ``-`` when there is none."""
    status: str
    """``ok``, ``reachable``, ``key rejected``, ``unreachable`` or ``skipped``."""
    detail: str = ""
    """The evidence: HTTP status, connection error, why it was skipped."""
    latency_ms: int | None = None

    @property
    def usable(self) -> bool:
        """Whether probing this provider's models makes sense."""
        return self.status not in ("key rejected", "unreachable")


@dataclass(slots=True)
class ProbeResult:
    """One probe of one model through one client format."""

    format: str
    """The client format the probe spoke to the gateway (:data:`CLIENT_FORMATS`)."""
    model: str
    """The model alias."""
    probe: str
    """One of :data:`PROBES`."""
    ok: bool
    latency_ms: int | None = None
    """Wall time of the probe, both requests of a tool round trip included."""
    reason: str = ""
    """Why it failed (or ``""``)."""


@dataclass(slots=True)
class Report:
    """Everything one ``crosswire doctor`` run found."""

    config_path: str | None
    checked_at: str
    """ISO 8601 UTC time the run started."""
    findings: list[Finding] = field(default_factory=list)
    providers: list[ProviderCheck] = field(default_factory=list)
    probes: list[ProbeResult] = field(default_factory=list)

    @property
    def config_ok(self) -> bool:
        return not any(f.level == "error" for f in self.findings)

    @property
    def ok(self) -> bool:
        """Whether everything declared works: a loadable config, every provider reachable with
        an accepted key, every probe passed."""
        return (
            self.config_ok
            and all(p.usable for p in self.providers)
            and all(p.ok for p in self.probes)
        )

    def cell(self, fmt: str, model: str) -> list[ProbeResult]:
        """The probes of one matrix cell, in run order."""
        return [p for p in self.probes if p.format == fmt and p.model == model]

    def models(self) -> list[str]:
        """Probed model aliases, in first-probed order."""
        return list(dict.fromkeys(p.model for p in self.probes))

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document: the flat lists plus ``matrix[model][format]``."""
        matrix: dict[str, dict[str, Any]] = {}
        for model in self.models():
            row = matrix[model] = {}
            for fmt in CLIENT_FORMATS:
                cell = self.cell(fmt, model)
                if cell:
                    row[fmt] = {
                        "ok": all(p.ok for p in cell),
                        "probes": {
                            p.probe: {"ok": p.ok, "latency_ms": p.latency_ms, "reason": p.reason}
                            for p in cell
                        },
                    }
        return {
            "ok": self.ok,
            "checked_at": self.checked_at,
            "config": self.config_path,
            "findings": [asdict(f) for f in self.findings],
            "providers": [asdict(p) for p in self.providers],
            "matrix": matrix,
            "probes": [asdict(p) for p in self.probes],
        }


class Scrubber:
    """Replaces every configured secret (provider keys, env-table values, credential headers)
    in a string with its redacted form."""

    def __init__(self, secrets: Iterable[str]) -> None:
        unique = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        self._secrets = sorted(unique, key=len, reverse=True)

    @classmethod
    def for_config(cls, config: Config) -> Scrubber:
        secrets: list[str] = []
        for provider in config.providers.values():
            secrets.append(provider.api_key)
            secrets += provider.env.values()
            secrets += [v for k, v in provider.custom_headers.items() if is_sensitive_header(k)]
        return cls(secrets)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, redact_secret(secret))
        return text
