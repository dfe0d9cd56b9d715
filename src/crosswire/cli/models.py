"""``crosswire models``: the model aliases the gateway serves."""

from __future__ import annotations

from typing import Any

import click

from crosswire.cli.config_target import config_option, load_for_listing
from crosswire.cli.output import print_json, print_table


@click.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@config_option
def models(as_json: bool, config_path: str | None) -> None:
    """List model aliases: provider, upstream model, context size, capabilities.

    \b
    Examples:
      crosswire models
      crosswire models --json | jq -r '.[] | select(.default) | .alias'
    """
    config, _ = load_for_listing(config_path)
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
        }
        for m in config.models.values()
    ]
    if as_json:
        print_json(rows)
        return
    columns = ("alias", "provider", "upstream model", "context", "output", "capabilities")
    cells = [
        (
            r["alias"] + (" (default)" if r["default"] else ""),
            r["provider"],
            r["model"],
            str(r["max_context_size"]),
            str(r["max_output_size"] or "-"),
            ", ".join(r["capabilities"]) or "-",
        )
        for r in rows
    ]
    print_table("models", columns, cells)
