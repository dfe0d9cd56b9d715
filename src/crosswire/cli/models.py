"""``crosswire models``: the model aliases the gateway serves."""

from __future__ import annotations

from typing import Any

import click

from crosswire.cli.config_target import config_option, load_for_listing
from crosswire.cli.output import print_json, print_table
from crosswire.doctor.history import Verification, load_verifications


@click.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@config_option
def models(as_json: bool, config_path: str | None) -> None:
    """List model aliases: provider, upstream model, context size, capabilities, and when
    `crosswire doctor` last verified each ("failed" when a probe did not pass).

    \b
    Examples:
      crosswire models
      crosswire models --json | jq -r '.[] | select(.default) | .alias'
    """
    config, _ = load_for_listing(config_path)
    verified = load_verifications(config.models)
    rows: list[dict[str, Any]] = [
        {
            "alias": m.alias,
            "provider": m.provider,
            "model": m.model,
            "max_context_size": m.max_context_size,
            "max_output_size": m.max_output_size,
            "capabilities": sorted(m.capabilities),
            "fallbacks": list(m.fallbacks),
            "default": m.alias == config.default_model,
            "verified": _verified_json(verified.get(m.alias)),
        }
        for m in config.models.values()
    ]
    if as_json:
        print_json(rows)
        return
    columns = (
        "alias", "provider", "upstream model", "context", "output", "capabilities", "verified on",
    )  # fmt: skip
    cells = [
        (
            r["alias"] + (" (default)" if r["default"] else ""),
            r["provider"],
            r["model"],
            str(r["max_context_size"]),
            str(r["max_output_size"] or "-"),
            ", ".join(r["capabilities"]) or "-",
            _verified_cell(verified.get(r["alias"])),
        )
        for r in rows
    ]
    print_table("models", columns, cells)


def _verified_json(found: Verification | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"checked_at": found.checked_at, "ok": found.ok, "failed": list(found.failed)}


def _verified_cell(found: Verification | None) -> str:
    """``2025-06-01``, ``failed 2025-06-01 (gemini/image)``, or ``-`` (never probed)."""
    if found is None:
        return "-"
    if found.ok:
        return found.date
    more = f" +{len(found.failed) - 1}" if len(found.failed) > 1 else ""
    first = f" ({found.failed[0]}{more})" if found.failed else ""
    return f"failed {found.date}{first}"
