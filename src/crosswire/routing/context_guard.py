"""The context-window guard: keep requests inside the chosen model's window.

For a request of ``input`` estimated tokens asking for ``max_tokens`` on a model with
``max_context_size`` (window) and ``max_output_size``:

1. ``max_tokens`` above ``max_output_size`` is clamped to it;
2. if ``input + max_tokens`` does not fit the window, the request moves to ``[router]
   long_context`` when that model is configured and the request fits it
   (:func:`reroute_for_context`, rule ``long_context:guard``);
3. else ``max_tokens`` is clamped to the room left when at least :data:`OUTPUT_FLOOR` tokens
   (or the ``max_tokens`` asked, if smaller) remain (:func:`fit_max_tokens`);
4. else :class:`~crosswire.canonical.ContextLengthError` with Anthropic's wording, "prompt is
   too long: N tokens > M maximum", which Claude Code's auto-compact reacts to; each client
   codec maps it to its own context-length error (OpenAI: ``context_length_exceeded``).

Input tokens come from :class:`~crosswire.routing.input_tokens.InputTokens`, so the estimate
is computed at most once per request, and not at all when a cheap bound shows it fits.
"""

from __future__ import annotations

from crosswire.canonical import ContextLengthError
from crosswire.config import Config, ModelConfig
from crosswire.routing.input_tokens import InputTokens
from crosswire.routing.resolve import Target, model_target

OUTPUT_FLOOR = 1024
"""The fewest output tokens worth clamping ``max_tokens`` down to."""
GUARD_RULE = "long_context:guard"


def output_cap(model: ModelConfig, max_tokens: int | None) -> int | None:
    """``max_tokens`` clamped to the model's ``max_output_size``."""
    if max_tokens is not None and model.max_output_size and max_tokens > model.max_output_size:
        return model.max_output_size
    return max_tokens


def fits(model: ModelConfig, max_tokens: int | None, tokens: InputTokens) -> bool:
    """Whether the input plus the (output-capped) ``max_tokens`` fit the model's window."""
    wanted = output_cap(model, max_tokens)
    reserve = wanted if wanted is not None else OUTPUT_FLOOR
    return not tokens.exceeds(model.max_context_size - reserve)


def reroute_for_context(
    config: Config, target: Target, max_tokens: int | None, tokens: InputTokens
) -> Target:
    """``[router] long_context`` instead of ``target`` when only the former fits."""
    alias = config.router.long_context
    if alias is None or alias == target.alias or fits(target.model, max_tokens, tokens):
        return target
    bigger = model_target(config, config.models[alias], GUARD_RULE)
    return bigger if fits(bigger.model, max_tokens, tokens) else target


def fit_max_tokens(model: ModelConfig, max_tokens: int | None, tokens: InputTokens) -> int | None:
    """The ``max_tokens`` to send to ``model``: capped at its output size, then clamped to the
    room its window leaves. Raises :class:`ContextLengthError` when too little room is left."""
    wanted = output_cap(model, max_tokens)
    if fits(model, wanted, tokens):
        return wanted
    window, used = model.max_context_size, tokens.estimate
    floor = min(OUTPUT_FLOOR, wanted) if wanted else OUTPUT_FLOOR
    if used + floor <= window:
        return window - used
    raise ContextLengthError(
        f"prompt is too long: {used} tokens > {window - floor} maximum",
        code="context_length_exceeded",
    )
