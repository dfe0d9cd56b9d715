"""``crosswire launch <agent>``: make sure a gateway runs for this config, then exec the agent
pointed at it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click

from crosswire.cli.agents import AGENTS, gemini_auth_fix
from crosswire.cli.config_target import config_option, load_or_exit
from crosswire.cli.gateway import GatewayError, ensure_gateway
from crosswire.cli.output import fail, note

GATEWAY_KEY_ENV = "CROSSWIRE_API_KEY"
"""If set, the key the agent sends to the gateway (for gateways that require client keys)."""
PLACEHOLDER_KEY = "crosswire"
"""Sent when no gateway key is set: the gateway uses each provider's own key upstream."""
NO_EXEC_ENV = "CROSSWIRE_LAUNCH_NO_EXEC"
"""``1``: run the agent as a child process and exit with its status instead of exec'ing it
(tests, or wrappers that need the gateway's output first)."""

EPILOG = """\b
Examples:
  crosswire launch claude
  crosswire launch claude --model kimi-k2.6 -- -p "fix the failing test" --allowedTools Edit
  crosswire launch codex -- exec "add a README"
  crosswire launch aider -- --no-auto-commits
  crosswire launch gemini --model gemini-2.5-pro
\b
The gateway keeps running in the background (log and pid file in the user state directory)
and is reused by the next launch with the same config.
"""


@click.command(
    "launch",
    epilog=EPILOG,
    context_settings={"ignore_unknown_options": True},
)
@click.argument("agent", type=click.Choice(sorted(AGENTS)))
@click.option(
    "--model", metavar="ALIAS", help="Model alias for the agent (default: default_model)."
)
@config_option
@click.argument("agent_args", nargs=-1, type=click.UNPROCESSED)
def launch(
    agent: str, model: str | None, config_path: str | None, agent_args: tuple[str, ...]
) -> None:
    """Start (or reuse) the gateway and run AGENT against it; arguments after -- go to the agent."""
    spec = AGENTS[agent]
    config, path = load_or_exit(config_path)
    model = model or config.default_model
    if model is None:
        fail(f"no default_model in the config: pass --model (one of {', '.join(config.models)})", 2)
    if model not in config.models:
        note(f"{model!r} is not a model alias in the config; the gateway's routes decide")
    binary = shutil.which(spec.binary)
    if binary is None:
        fail(f"{spec.binary} is not on PATH; install it with: {spec.install}", 127)
    try:
        gateway = ensure_gateway(config, path)
    except GatewayError as error:
        fail(str(error), 1)
    if gateway.started:
        note(f"started gateway {gateway.url} (pid {gateway.pid}, log {gateway.log})")
    else:
        note(f"using the gateway already running on {gateway.url}")
    key = os.environ.get(GATEWAY_KEY_ENV) or PLACEHOLDER_KEY
    run = spec.settings(gateway.url, key, model, config, agent_args)
    if agent == "gemini":
        fix = gemini_auth_fix(Path.home())
        if fix:
            note(
                f"Gemini CLI needs API-key auth selected for a custom base URL; run once:\n  {fix}"
            )
    env = {k: v for k, v in os.environ.items() if k not in run.unset}
    env.update(run.env)
    argv = [binary, *run.argv[1:]]
    note(f"launching {agent} on model {model}")
    sys.stderr.flush()
    if os.environ.get(NO_EXEC_ENV) == "1":
        sys.exit(subprocess.run(argv, env=env).returncode)
    os.execvpe(binary, argv, env)
