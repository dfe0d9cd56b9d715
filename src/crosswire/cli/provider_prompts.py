"""The questions ``crosswire provider add`` asks in a terminal."""

from __future__ import annotations

import os
from collections.abc import Mapping

import click

from crosswire.cli.provider_plan import KeyChoice
from crosswire.presets import Preset


def ask_preset(presets: Mapping[str, Preset]) -> Preset:
    names = list(presets)
    click.echo("Known providers:", err=True)
    for i, name in enumerate(names, 1):
        click.echo(f"  {i:2}. {name:22} {presets[name].title}", err=True)
    while True:
        answer = click.prompt("Provider (number or name)", err=True).strip()
        if answer.isdigit() and 1 <= int(answer) <= len(names):
            return presets[names[int(answer) - 1]]
        if answer in presets:
            return presets[answer]
        click.echo(f"  not in the list: {answer!r}", err=True)


def ask_name(default: str, taken: set[str]) -> str:
    while True:
        name = str(click.prompt("Name for this provider", default=default, err=True)).strip()
        if name and name not in taken:
            return name
        click.echo(f"  {name!r} is taken or empty", err=True)


def ask_key(preset: Preset) -> KeyChoice:
    var = preset.key_env or "API_KEY"
    state = "set" if os.environ.get(var) else "not set"
    click.echo("How should crosswire get the API key?", err=True)
    click.echo("  1. paste it now (stored in config.toml, readable only by you)", err=True)
    click.echo(f"  2. read it from an environment variable (${var} is {state} now)", err=True)
    default = "2" if os.environ.get(var) else "1"
    choice = click.prompt("Choice", type=click.Choice(["1", "2"]), default=default, err=True)
    if choice == "1":
        key = click.prompt("API key (hidden)", hide_input=True, err=True).strip()
        return KeyChoice(literal=key)
    name = str(click.prompt("Environment variable", default=var, err=True)).strip()
    return KeyChoice(env_var=name)


def ask_default_model(preset: Preset, suggest: bool) -> str | None:
    if not preset.models:
        return None
    click.echo("Models of this preset:", err=True)
    for model in preset.models:
        caps = ", ".join(model.capabilities) or "-"
        click.echo(
            f"  {model.alias:20} {model.model}  (context {model.max_context_size}, {caps})",
            err=True,
        )
    default = preset.models[0].alias if suggest else ""
    answer = str(
        click.prompt(
            "Default model (alias; empty to keep the current one)",
            default=default,
            show_default=bool(default),
            err=True,
        )
    ).strip()
    return answer or None
