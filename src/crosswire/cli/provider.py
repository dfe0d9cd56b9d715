"""``crosswire provider add|list|remove``: edit config.toml's ``[providers.*]`` and
``[models.*]`` from presets, keeping the user's comments and layout."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
import tomlkit

from crosswire.cli import provider_prompts as ask
from crosswire.cli.config_target import UNSET_MARK, config_option, edit_path, load_for_listing
from crosswire.cli.output import fail, note, print_json, print_table, success
from crosswire.cli.provider_plan import AddPlan, KeyChoice, PlanError, models_of, plan_add
from crosswire.cli.provider_plan import references_to as find_references
from crosswire.config import ConfigError, redact_secret
from crosswire.config.editing import (
    add_table,
    group_names,
    new_table,
    read_document,
    remove_table,
    set_top_level,
    write_validated,
)
from crosswire.presets import Preset, load_presets

UNSET_PLACEHOLDER = "crosswire-validate-placeholder"
"""Stands in for an env var that is not set yet while the new file is validated."""


@click.group()
def provider() -> None:
    """Add, list and remove upstream providers (from the preset catalog).

    \b
    Examples:
      crosswire provider add                      # interactive, in a terminal
      crosswire provider add nim --key-env NVIDIA_API_KEY --default-model kimi-k2.6
      crosswire provider list --json
      crosswire provider remove nim
    """


ADD_EPILOG = """\b
Examples:
  crosswire provider add nim --api-key nvapi-... --default-model kimi-k2.6
  crosswire provider add moonshot --key-env MOONSHOT_API_KEY
  crosswire provider add ollama --model qwen3-coder:30b --context 65536
  crosswire provider add vllm --base-url http://gpu-box:8000/v1 --model Qwen/Qwen3-8B
\b
Presets: see `crosswire provider presets`; add your own in <user config dir>/crosswire/presets.toml.
"""


@provider.command("add", epilog=ADD_EPILOG)
@click.argument("preset_name", metavar="[PRESET]", required=False)
@click.option("--name", help="Provider name in config.toml (default: the preset's name).")
@click.option("--api-key", metavar="KEY", help="Store this key in config.toml.")
@click.option("--key-env", metavar="VAR", help='Store api_key = "${VAR}" (read at startup).')
@click.option("--base-url", metavar="URL", help="Override the preset's endpoint.")
@click.option("--default-model", metavar="ALIAS", help="Make this model the default_model.")
@click.option(
    "--model",
    "model_ids",
    multiple=True,
    metavar="ID",
    help="Add this upstream model id instead of the preset's models (repeatable).",
)
@click.option("--context", type=click.IntRange(min=1), help="Context size for unknown --model ids.")
@click.option(
    "--interactive/--no-interactive",
    default=None,
    help="Ask questions (default: when stdin is a terminal).",
)
@config_option
def add(
    preset_name: str | None,
    name: str | None,
    api_key: str | None,
    key_env: str | None,
    base_url: str | None,
    default_model: str | None,
    model_ids: tuple[str, ...],
    context: int | None,
    interactive: bool | None,
    config_path: str | None,
) -> None:
    """Add a provider and its models to config.toml (created if missing)."""
    if api_key and key_env:
        fail("give either --api-key or --key-env, not both", 2)
    interactive = sys.stdin.isatty() if interactive is None else interactive
    presets = _presets()
    path = edit_path(config_path)
    doc = _read(path)
    providers, models = group_names(doc, "providers"), group_names(doc, "models")
    if preset_name is None:
        if not interactive:
            fail(f"name a preset: one of {', '.join(presets)}", 2)
        preset = ask.ask_preset(presets)
    elif preset_name in presets:
        preset = presets[preset_name]
    else:
        fail(f"unknown preset {preset_name!r}; known: {', '.join(presets)}", 2)
    if name is None:
        name = ask.ask_name(preset.name, set(providers)) if interactive else preset.name
    key = _key_choice(preset, api_key, key_env, interactive)
    if default_model is None and interactive and not model_ids:
        default_model = ask.ask_default_model(preset, suggest="default_model" not in doc)
    try:
        plan = plan_add(
            preset,
            name=name,
            key=key,
            existing_providers=providers,
            existing_models=models,
            base_url=base_url,
            model_ids=model_ids,
            context=context,
            default_model=default_model,
        )
    except PlanError as error:
        fail(str(error), 2)
    if plan.default_model is None and "default_model" not in doc and plan.models:
        plan.default_model = next(iter(plan.models))  # the config had none: launch needs one
    _apply(doc, plan)
    _write(path, doc, key)
    _report(path, preset, plan, key)


@provider.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@config_option
def list_providers(as_json: bool, config_path: str | None) -> None:
    """List configured providers (keys redacted).

    \b
    Examples:
      crosswire provider list
      crosswire provider list --json | jq '.[].name'
    """
    config, _ = load_for_listing(config_path)
    rows: list[dict[str, Any]] = []
    for p in config.providers.values():
        rows.append(
            {
                "name": p.name,
                "type": p.type,
                "base_url": p.base_url,
                "profile": p.profile_name,
                "key": _shown_key(p.api_key),
                "key_source": p.key_source,
                "rpm": p.rpm,
                "models": [m.alias for m in config.models.values() if m.provider == p.name],
            }
        )
    if as_json:
        print_json(rows)
        return
    columns = ("name", "type", "base_url", "profile", "key", "key source", "models")
    cells = [
        (r["name"], r["type"], r["base_url"] or "(default)", r["profile"], r["key"] or "-",
         r["key_source"] or "-", ", ".join(r["models"]) or "-")
        for r in rows
    ]  # fmt: skip
    print_table("providers", columns, cells)


@provider.command("remove")
@click.argument("name")
@config_option
def remove(name: str, config_path: str | None) -> None:
    """Remove a provider and its models from config.toml.

    Refuses when default_model, [routes], [router] or another model's fallbacks point at one
    of its models, and says which.

    \b
    Examples:
      crosswire provider remove nim
    """
    path = edit_path(config_path)
    if not path.exists():
        fail(f"{path} does not exist", 1)
    doc = _read(path)
    if name not in group_names(doc, "providers"):
        known = ", ".join(group_names(doc, "providers")) or "(none)"
        fail(f"no provider {name!r} in {path}; configured: {known}", 1)
    aliases = models_of(doc, name)
    refs = find_references(doc, aliases)
    if refs:
        lines = "\n  ".join(refs)
        fail(
            f"not removing {name!r}: these point at its models ({', '.join(aliases)}):\n  {lines}\n"
            "change or delete them first",
            1,
        )
    remove_table(doc, "providers", name)
    for alias in aliases:
        remove_table(doc, "models", alias)
    if group_names(doc, "models"):
        _write(path, doc, KeyChoice())
    else:  # nothing left to validate against: an empty config is the user's explicit choice
        path.write_text(tomlkit.dumps(doc), "utf-8")
        note("no models are left; `crosswire provider add` adds some")
    removed = f" and its models {', '.join(aliases)}" if aliases else ""
    success(f"removed provider {name}{removed} from {path}")


@provider.command("presets")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_presets(as_json: bool) -> None:
    """List the provider presets `provider add` knows (built-in and your presets.toml).

    \b
    Examples:
      crosswire provider presets
      crosswire provider presets --json
    """
    presets = _presets()
    if as_json:
        print_json([_preset_json(p) for p in presets.values()])
        return
    rows = [
        (p.name, p.title, p.type, p.base_url or "(default)", p.key_env or "-",
         ", ".join(m.alias for m in p.models))
        for p in presets.values()
    ]  # fmt: skip
    print_table("presets", ("name", "title", "type", "base_url", "key env", "models"), rows)


def _shown_key(key: str) -> str:
    if key == UNSET_MARK:
        return "(variable not set)"
    return redact_secret(key) if key else ""


def _preset_json(p: Preset) -> dict[str, Any]:
    return {
        "name": p.name, "title": p.title, "type": p.type, "base_url": p.base_url,
        "auth": p.auth, "key_env": p.key_env, "profile": p.profile, "rpm": p.rpm,
        "notes": p.notes, "source": p.source,
        "models": [
            {"alias": m.alias, "model": m.model, "max_context_size": m.max_context_size,
             "max_output_size": m.max_output_size, "capabilities": list(m.capabilities)}
            for m in p.models
        ],
    }  # fmt: skip


def _presets() -> dict[str, Preset]:
    try:
        return load_presets()
    except ConfigError as error:
        fail(f"bad presets file\n{error}", 2)


def _read(path: Path) -> tomlkit.TOMLDocument:
    try:
        return read_document(path)
    except ConfigError as error:
        fail(str(error), 2)


def _key_choice(
    preset: Preset, api_key: str | None, key_env: str | None, interactive: bool
) -> KeyChoice:
    if api_key:
        return KeyChoice(literal=api_key)
    if key_env:
        return KeyChoice(env_var=key_env)
    if not preset.needs_key:
        return KeyChoice()
    if interactive:
        return ask.ask_key(preset)
    return KeyChoice(env_var=preset.key_env)


def _apply(doc: tomlkit.TOMLDocument, plan: AddPlan) -> None:
    add_table(doc, "providers", plan.name, new_table(plan.provider))
    for alias, values in plan.models.items():
        add_table(doc, "models", alias, new_table(values))
    if plan.default_model is not None:
        set_top_level(doc, "default_model", plan.default_model)


def _write(path: Path, doc: tomlkit.TOMLDocument, key: KeyChoice) -> None:
    environ = dict(os.environ)
    if key.env_var and not environ.get(key.env_var):
        environ[key.env_var] = UNSET_PLACEHOLDER
    try:
        write_validated(path, doc, environ=environ)
    except ConfigError as error:
        fail(f"the edited config would not load, so {path} was left as it was:\n{error}", 1)


def _report(path: Path, preset: Preset, plan: AddPlan, key: KeyChoice) -> None:
    success(f"added provider {plan.name} ({preset.title}) to {path}")
    for alias, values in plan.models.items():
        click.echo(f"  model {alias} -> {values['model']}", err=True)
    for old, new in plan.renamed.items():
        note(f"  alias {old!r} was taken: added as {new!r}")
    if plan.default_model:
        click.echo(f"  default_model = {plan.default_model!r}", err=True)
    if key.env_var and not os.environ.get(key.env_var):
        note(f"  ${key.env_var} is not set: export {key.env_var}=... before `crosswire serve`")
    if preset.notes:
        click.echo(f"  note: {preset.notes}", err=True)
