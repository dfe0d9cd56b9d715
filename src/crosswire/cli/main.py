"""``crosswire``: the command-line entry point."""

from __future__ import annotations

import click

from crosswire import __version__
from crosswire.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crosswire")
def cli() -> None:
    """crosswire: any coding agent on any LLM endpoint, whatever its wire format."""


cli.add_command(serve)


def main() -> None:
    cli()
