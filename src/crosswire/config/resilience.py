"""Config for routing scenarios and resilience: ``[router]``, model ``fallbacks``, provider
pacing limits (``rpm``, ``tpm``, ``max_concurrency``, ``max_queue_wait``) and the ``[server]``
retry, cooldown and shared-state settings::

    [server]
    state = "memory"               # or "redis://127.0.0.1:6379/0", shared by replicas
    retries = 2                    # upstream retries per request (before the first byte)
    retry_budget = 0.2             # retries as a share of recent requests
    cooldown_after = 5             # consecutive failures that open a provider's circuit
    cooldown_seconds = 30.0        # then one recovery probe after this long
    max_queue_wait = 30.0          # default seconds a request may wait for pacing

    [providers.nim]
    rpm = 40                       # requests per minute let through to this provider
    tpm = 200000                   # tokens per minute (estimated locally)
    max_concurrency = 8            # requests in flight at once
    max_queue_wait = 60.0          # this provider's own bound on waiting (else the server's)

    [models.k26]
    fallbacks = ["k26-moonshot", "deepseek"]   # tried in order before the first byte

    [router]                       # scenario -> model alias (claude-code-router's scenarios)
    background = "fast"            # haiku-class client model names
    think = "k26"                  # thinking requested
    long_context = "big"           # estimated input above long_context_threshold
    long_context_threshold = 60000
    web_search = "searcher"        # a web-search server tool present
    image = "vision"               # images present
    subagent = "sub"               # <CCR-SUBAGENT-MODEL> marker in the system prompt
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crosswire.config.fields import Reader, choice_fix, join
from crosswire.config.schema import SCENARIOS, ModelConfig, RouterConfig, ServerConfig

ROUTER_KEYS = (*SCENARIOS, "long_context_threshold")
STATE_SCHEMES = ("memory", "redis://", "rediss://", "unix://")


def parse_server_resilience(reader: Reader, tbl: Mapping[str, Any], cfg: ServerConfig) -> None:
    state = reader.opt_str(tbl, "state", "server")
    if state is not None:
        state = state.strip()
        if not state.startswith(STATE_SCHEMES):
            raise reader.error(
                "server.state",
                f'unknown state backend "{state}"',
                'use state = "memory" or state = "redis://127.0.0.1:6379/0"',
            )
        cfg.state = state
    retries = reader.opt_int(tbl, "retries", "server", minimum=0, example=cfg.retries)
    if retries is not None:
        cfg.retries = retries
    budget = tbl.get("retry_budget")
    if budget is not None:
        if isinstance(budget, bool) or not isinstance(budget, int | float) or not 0 <= budget <= 1:
            raise reader.error(
                "server.retry_budget",
                "must be a number between 0 and 1",
                "e.g. retry_budget = 0.2 (at most one retry per five requests)",
            )
        cfg.retry_budget = float(budget)
    after = reader.opt_int(tbl, "cooldown_after", "server", minimum=1, example=cfg.cooldown_after)
    if after is not None:
        cfg.cooldown_after = after
    for name in ("cooldown_seconds", "max_queue_wait"):
        seconds = reader.opt_seconds(tbl, name, "server", example=getattr(cfg, name))
        if seconds is not None:
            setattr(cfg, name, seconds)


def parse_provider_limits(reader: Reader, tbl: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The pacing keys of one ``[providers.*]`` table, as ProviderConfig keyword arguments."""
    return {
        "rpm": reader.opt_int(tbl, "rpm", prefix, minimum=1, example=40),
        "tpm": reader.opt_int(tbl, "tpm", prefix, minimum=1, example=200000),
        "max_concurrency": reader.opt_int(tbl, "max_concurrency", prefix, minimum=1, example=8),
        "max_queue_wait": reader.opt_seconds(tbl, "max_queue_wait", prefix, example=30.0),
    }


def check_fallbacks(reader: Reader, models: Mapping[str, ModelConfig]) -> None:
    for alias, model in models.items():
        for i, fallback in enumerate(model.fallbacks):
            key = f"{join(join('models', alias), 'fallbacks')}[{i}]"
            if fallback not in models:
                raise reader.error(
                    key,
                    f'unknown model alias "{fallback}"',
                    choice_fix(fallback, models, "defined aliases"),
                )
            if fallback == alias:
                raise reader.error(key, "a model cannot fall back to itself", f"remove {alias!r}")


def parse_router(reader: Reader, value: object, models: Mapping[str, ModelConfig]) -> RouterConfig:
    router = RouterConfig()
    if value is None:
        return router
    tbl = reader.table(value, "router")
    reader.check_keys(tbl, ROUTER_KEYS, "router")
    threshold = reader.opt_int(
        tbl, "long_context_threshold", "router", minimum=1, example=router.long_context_threshold
    )
    if threshold is not None:
        router.long_context_threshold = threshold
    for scenario in SCENARIOS:
        alias = reader.opt_str(tbl, scenario, "router")
        if alias is None:
            continue
        if alias not in models:
            raise reader.error(
                join("router", scenario),
                f'unknown model alias "{alias}"',
                choice_fix(alias, models, "defined aliases"),
            )
        setattr(router, scenario, alias)
    return router
