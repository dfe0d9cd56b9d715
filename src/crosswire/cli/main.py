"""``crosswire``: the command-line entry point."""

from __future__ import annotations

import click

from crosswire import __version__
from crosswire.cli.keys import key
from crosswire.cli.launch import launch
from crosswire.cli.models import models
from crosswire.cli.provider import provider
from crosswire.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crosswire")
def cli() -> None:
    """crosswire: any coding agent on any LLM endpoint, whatever its wire format."""


cli.add_command(serve)
cli.add_command(key)
cli.add_command(provider)
cli.add_command(models)
cli.add_command(launch)


def main() -> None:
    cli()
