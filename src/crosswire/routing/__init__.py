"""Which configured model serves a request: aliases, scenario routes, globs, the default, and
the context-window guard."""

from crosswire.routing.context_guard import fit_max_tokens, fits, reroute_for_context
from crosswire.routing.input_tokens import InputTokens
from crosswire.routing.resolve import Target, model_target, resolve, target_named
from crosswire.routing.scenarios import SCENARIO_ORDER

__all__ = [
    "SCENARIO_ORDER",
    "InputTokens",
    "Target",
    "fit_max_tokens",
    "fits",
    "model_target",
    "reroute_for_context",
    "resolve",
    "target_named",
]
