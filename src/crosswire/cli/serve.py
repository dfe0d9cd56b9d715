"""``crosswire serve``: run the gateway."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys

import click
from aiohttp import web

from crosswire.cli.exposure import exposure_problem, world_readable_warning
from crosswire.config import ConfigError, default_config, find_config_path, load_config
from crosswire.server import create_app
from crosswire.server.limits_input import server_options

NO_CONFIG_HINT = """\
No config file found: serving the built-in offline `echo` model (it answers with what you send).
Try it:
  curl -s http://{host}:{port}/v1/messages -H 'content-type: application/json' \\
    -d '{{"model":"echo","max_tokens":64,"messages":[{{"role":"user","content":"hello"}}]}}'
Add a real provider: `crosswire provider add nim --api-key nvapi-...` writes it for you, or
edit {path}, for example Kimi K2.6 on NVIDIA NIM:
  [providers.nim]
  type = "openai"
  base_url = "https://integrate.api.nvidia.com/v1"
  api_key = "${{NVIDIA_API_KEY}}"

  [models.k26]
  provider = "nim"
  model = "moonshotai/kimi-k2.6"
  max_context_size = 131072
  capabilities = ["thinking", "image_in"]
then point Claude Code at it: ANTHROPIC_BASE_URL=http://{host}:{port} claude
"""


@click.command()
@click.option("--config", "config_path", metavar="FILE", help="config.toml to use.")
@click.option("--host", default=None, help="Address to bind (default from config: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to bind (default from config: 4040).")
@click.option(
    "--insecure-no-auth",
    is_flag=True,
    help="Allow a non-loopback address without [server] keys (an open relay of your API keys).",
)
def serve(
    config_path: str | None, host: str | None, port: int | None, insecure_no_auth: bool
) -> None:
    """Run the gateway."""
    try:
        path = find_config_path(config_path)
        config = load_config(path) if path is not None else default_config()
    except ConfigError as error:
        click.echo(f"crosswire: bad config\n{error}", err=True)
        sys.exit(2)
    host = host or config.server.host
    port = config.server.port if port is None else port
    exposure = exposure_problem(host, config, insecure_no_auth=insecure_no_auth)
    if exposure is not None:
        click.echo(f"crosswire: {exposure}", err=True)
        sys.exit(2)
    warning = world_readable_warning(path, config)
    if warning is not None:
        click.echo(f"crosswire: warning: {warning}", err=True)
    logging.basicConfig(
        level=config.server.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _use_uvloop()
    if path is None:
        from platformdirs import user_config_dir

        target = f"{user_config_dir('crosswire')}/config.toml"
        click.echo(NO_CONFIG_HINT.format(host=host, port=port, path=target), err=True)
    else:
        click.echo(f"crosswire: config {path}", err=True)
    app = create_app(config)
    _tune_gc()
    web.run_app(
        app,
        host=host,
        port=port,
        access_log=None,
        handler_cancellation=True,
        **server_options(config.server),
        print=lambda _: click.echo(f"crosswire: listening on http://{host}:{port}", err=True),
    )


def _tune_gc() -> None:
    """Decoded request bodies are thousands of acyclic objects each, freed by reference
    counting; the default cycle-collector threshold (700 allocations) would run it many times
    per request. Freeze what startup allocated and collect young objects far less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _use_uvloop() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
