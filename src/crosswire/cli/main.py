"""``crosswire``: the command-line entry point."""

from __future__ import annotations

import click

from crosswire import __version__
from crosswire.cli.doctor import doctor
from crosswire.cli.keys import key
from crosswire.cli.launch import launch
from crosswire.cli.logs import logs
from crosswire.cli.models import models
from crosswire.cli.provider import provider
from crosswire.cli.serve import serve
from crosswire.cli.stats import stats


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crosswire")
def cli() -> None:
    """crosswire: any coding agent on any LLM endpoint, whatever its wire format."""


cli.add_command(serve)
cli.add_command(key)
cli.add_command(provider)
cli.add_command(models)
cli.add_command(launch)
cli.add_command(stats)
cli.add_command(logs)
cli.add_command(doctor)


def main() -> None:
    cli()
