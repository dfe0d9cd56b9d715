"""Provider presets: a catalog of known endpoints (type, base URL, auth style, key variable,
pacing hints, models with limits and capabilities, quirks) kept as data in ``catalog.toml``.

Users add or override entries in ``<user config dir>/crosswire/presets.toml`` with the same
schema (see the header of ``catalog.toml``)::

    [presets.mylab]
    title = "Our vLLM box"
    type = "openai"
    base_url = "http://gpu-box:8000/v1"
    auth = "bearer"
    key_env = "MYLAB_API_KEY"

    [[presets.mylab.models]]
    alias = "coder"
    model = "Qwen/Qwen3-Coder-30B-A3B-Instruct"
    max_context_size = 65536
"""

from crosswire.presets.loader import builtin_presets, load_presets, user_presets_path
from crosswire.presets.schema import AUTH_STYLES, Preset, PresetModel

__all__ = [
    "AUTH_STYLES",
    "Preset",
    "PresetModel",
    "builtin_presets",
    "load_presets",
    "user_presets_path",
]
