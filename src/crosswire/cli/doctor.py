"""``crosswire doctor``: validate the config, check every provider, and verify each model
through each client format with live probes."""

from __future__ import annotations

import asyncio
import logging

import click

from crosswire.cli.config_target import config_option
from crosswire.cli.doctor_render import (
    ProgressDisplay,
    show_findings,
    show_matrix,
    show_providers,
    show_summary,
)
from crosswire.cli.output import fail, print_json
from crosswire.config import find_config_path
from crosswire.doctor import CLIENT_FORMATS, Plan, run_doctor, save_results
from crosswire.doctor.runner import UnknownModelsError

EXIT_BROKEN = 1
"""Something declared does not work (a provider, a probe)."""
EXIT_BAD_CONFIG = 2
"""The config does not load (or the command line names unknown models/formats)."""


def _names(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [n.strip() for n in value.split(",") if n.strip()]


def _formats(value: str | None) -> list[str]:
    names = _names(value)
    if names is None:
        return list(CLIENT_FORMATS)
    unknown = [n for n in names if n not in CLIENT_FORMATS]
    if unknown:
        fail(f"unknown format {', '.join(unknown)} (known: {', '.join(CLIENT_FORMATS)})", 2)
    return [f for f in CLIENT_FORMATS if f in names]


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for scripts).")
@click.option(
    "--formats",
    metavar="LIST",
    help=f"Client formats to probe, comma-separated (default: all of {', '.join(CLIENT_FORMATS)}).",
)
@click.option("--models", metavar="LIST", help="Model aliases to check, comma-separated.")
@click.option(
    "--no-probes", is_flag=True, help="Only check the config and the providers (costs nothing)."
)
@config_option
def doctor(
    as_json: bool,
    formats: str | None,
    models: str | None,
    no_probes: bool,
    config_path: str | None,
) -> None:
    """Check that every declared path works, and say why when one does not.

    \b
    1. the config: every problem with its fix (plus unused providers, unrouted
       models, unset ${VAR} keys, a key file others can read);
    2. each provider: TCP reachability, and whether it accepts its key
       (a free model-list request where the format has one);
    3. each model, through each client format (anthropic, openai_chat,
       openai_responses, gemini), via an in-process gateway: plain text,
       streaming, a tool call round trip, thinking (when declared) and an
       image (when declared).

    The probes are real requests: on paid providers they cost a few tokens
    each (max_tokens is kept small; a thinking probe allows ~1,300).
    Results are saved to <user state dir>/crosswire/doctor.json, shown by
    `crosswire models` as "verified". Keys are never printed.

    Exit status: 0 everything works, 1 something declared does not, 2 the
    config does not load.

    \b
    Examples:
      crosswire doctor
      crosswire doctor --models k26 --formats anthropic,openai_responses
      crosswire doctor --no-probes                 # config and keys only
      crosswire doctor --json | jq '.matrix'
    """
    logging.getLogger("crosswire").addHandler(logging.NullHandler())  # the report says it all
    display = ProgressDisplay()
    plan = Plan(
        formats=_formats(formats),
        models=_names(models),
        probe=not no_probes,
        on_plan=display.start,
        on_probe=display.advance,
    )
    path = find_config_path(config_path)
    try:
        with display.running():
            report, config = asyncio.run(run_doctor(path, plan))
    except UnknownModelsError as error:
        fail(str(error), EXIT_BAD_CONFIG)
    saved = save_results(report, config) if config is not None and report.probes else None
    if as_json:
        print_json(report.to_json())
    else:
        show_findings(report)
        show_providers(report)
        show_matrix(report)
        show_summary(report)
        if saved is not None:
            click.echo(f"results saved to {saved}")
    if not report.config_ok:
        raise SystemExit(EXIT_BAD_CONFIG)
    if not report.ok:
        raise SystemExit(EXIT_BROKEN)
