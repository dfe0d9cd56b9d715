"""crosswire.config: loading, validation, credentials, discovery and redaction."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from crosswire.config import (
    Config,
    ConfigError,
    ModelConfig,
    ProviderConfig,
    Route,
    ServerConfig,
    default_config,
    find_config_path,
    load_config,
    loads_config,
    redact_secret,
)
from crosswire.config.secrets import redact_headers

SECRET = "nvapi-SECRETSECRETSECRET-1234"

# Environment variables any test may set; cleared before each test so the host cannot leak in.
TEST_ENV_VARS = (
    "CROSSWIRE_CONFIG",
    "NVIDIA_API_KEY",
    "NIM_KEY",
    "OTHER_KEY",
    "MY_TOKEN",
    "UNSET_VAR",
    "HEADER_VAR",
)

FULL = f"""
default_model = "k26"
default_thinking = true

[server]
host = "0.0.0.0"
port = 8080
connect_timeout = 5
idle_timeout = 600.5
max_connections = 64
max_connections_per_host = 32
ping_interval = 15.0
log_level = "DEBUG"

[providers.nim]
type = "openai"
base_url = "https://integrate.api.nvidia.com/v1/"
api_key = "{SECRET}"
profile = "nim"
custom_headers = {{ "X-Foo" = "bar" }}
[providers.nim.env]
NVIDIA_API_KEY = ""

[providers.local]
type = "openai"
base_url = "http://localhost:8000/v1"

[models.k26]
provider = "nim"
model = "moonshotai/kimi-k2.6"
max_context_size = 131072
max_output_size = 32768
capabilities = ["thinking", "image_in"]
reasoning_key = "reasoning_content"
max_tokens_field = "max_completion_tokens"

[models.fast]
provider = "local"
model = "qwen3"
max_context_size = 32768

[routes]
"claude-*haiku*" = "fast"
"claude-*" = "k26"
"""

ECHO_PROVIDER = """
[providers.e]
type = "echo"
"""
ECHO_MODEL = """
[models.a]
provider = "e"
model = "m"
max_context_size = 1000
"""
MINIMAL = ECHO_PROVIDER + ECHO_MODEL


def nim(extra: str = "", env_table: str = "", api_key: str | None = None) -> str:
    """A config with one NIM provider (key settings given) and one model using it."""
    key_line = f'api_key = "{api_key}"\n' if api_key is not None else ""
    env_part = f"[providers.nim.env]\n{env_table}\n" if env_table else ""
    return (
        '[providers.nim]\ntype = "openai"\nbase_url = "https://integrate.api.nvidia.com/v1"\n'
        f"{key_line}{extra}\n{env_part}"
        '[models.k26]\nprovider = "nim"\nmodel = "m"\nmax_context_size = 1000\n'
    )


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for name in TEST_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> Config:
    return load_config(write(tmp_path, text))


def fail(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return info.value


# --- a valid file -----------------------------------------------------------------------------


def test_full_file_loads_every_field(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    cfg = load_config(path)
    assert cfg.path == path
    assert cfg.default_model == "k26"
    assert cfg.default_thinking is True
    assert cfg.server == ServerConfig(
        host="0.0.0.0",
        port=8080,
        connect_timeout=5.0,
        idle_timeout=600.5,
        max_connections=64,
        max_connections_per_host=32,
        ping_interval=15.0,
        log_level="debug",
    )
    assert isinstance(cfg.server.connect_timeout, float)
    assert list(cfg.providers) == ["nim", "local"]
    p = cfg.providers["nim"]
    assert (p.name, p.type, p.base_url) == ("nim", "openai", "https://integrate.api.nvidia.com/v1")
    assert p.api_key == SECRET
    assert p.key_source == "api_key"
    assert p.profile == "nim"
    assert p.profile_name == "nim"
    assert p.custom_headers == {"X-Foo": "bar"}
    assert p.env == {"NVIDIA_API_KEY": ""}
    local = cfg.providers["local"]
    assert (local.api_key, local.profile, local.profile_name) == ("", None, "openai")
    assert cfg.models["k26"] == ModelConfig(
        alias="k26",
        provider="nim",
        model="moonshotai/kimi-k2.6",
        max_context_size=131072,
        max_output_size=32768,
        capabilities=frozenset({"thinking", "image_in"}),
        reasoning_key="reasoning_content",
        max_tokens_field="max_completion_tokens",
    )
    fast = cfg.models["fast"]
    assert (fast.max_output_size, fast.capabilities, fast.reasoning_key) == (
        None,
        frozenset(),
        None,
    )
    assert fast.max_tokens_field is None
    assert cfg.routes == [Route("claude-*haiku*", "fast"), Route("claude-*", "k26")]
    assert cfg.model("k26") is cfg.models["k26"]
    assert cfg.model("nope") is None
    assert cfg.provider_for(cfg.models["fast"]) is local


def test_defaults_and_single_model_is_default(tmp_path: Path) -> None:
    cfg = load(tmp_path, MINIMAL)
    assert cfg.server == ServerConfig()
    assert ServerConfig().port == 4040 and ServerConfig().host == "127.0.0.1"
    assert cfg.default_model == "a"
    assert cfg.default_thinking is False
    assert cfg.routes == []
    assert cfg.providers["e"].base_url == ""


def test_several_models_without_default_have_no_fallback(tmp_path: Path) -> None:
    text = MINIMAL + '[models.b]\nprovider = "e"\nmodel = "m2"\nmax_context_size = 10\n'
    assert load(tmp_path, text).default_model is None


@pytest.mark.parametrize(
    ("written", "canonical"),
    [("openai_legacy", "openai"), ("google_genai", "google-genai"), ("Gemini", "google-genai")],
)
def test_kimi_type_aliases(tmp_path: Path, written: str, canonical: str) -> None:
    text = f'[providers.p]\ntype = "{written}"\nbase_url = "http://127.0.0.1:1/v1"\n' + (
        '[models.a]\nprovider = "p"\nmodel = "m"\nmax_context_size = 1\n'
    )
    assert load(tmp_path, text).providers["p"].type == canonical


@pytest.mark.parametrize("ptype", ["echo", "google-genai", "vertexai"])
def test_base_url_optional_for_sdk_types(tmp_path: Path, ptype: str) -> None:
    text = f'[providers.p]\ntype = "{ptype}"\napi_key = "k"\n' + ECHO_MODEL.replace('"e"', '"p"')
    assert load(tmp_path, text).providers["p"].base_url == ""


def test_routes_keep_file_order_and_match_case_insensitively(tmp_path: Path) -> None:
    routes = '[routes]\n"z-*" = "a"\n"CLAUDE-*" = "a"\n"a*" = "a"\n'
    cfg = load(tmp_path, MINIMAL + routes)
    assert [r.pattern for r in cfg.routes] == ["z-*", "CLAUDE-*", "a*"]
    assert cfg.routes[1].matches("claude-sonnet-4-5")
    assert Route("claude-*haiku*", "x").matches("Claude-3-5-HAIKU-latest")
    assert not Route("claude-*", "x").matches("gpt-5")


# --- errors -----------------------------------------------------------------------------------


def test_error_rendering(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('provider = "e"', 'provider = "ee"'))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    err = info.value
    assert err.path == path
    assert err.key == "models.a.provider"
    assert err.message == 'unknown provider "ee"'
    assert str(err) == f"{path}: models.a.provider: {err.message}\n  fix: {err.fix}"
    assert 'did you mean "e"?' in err.fix


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    err = fail(tmp_path, 'default_model = "a"\n[server]\nport = = 1\n')
    assert (err.line, err.column, err.key) == (3, 8, "")
    assert "invalid TOML" in err.message
    assert ": line 3, column 8: invalid TOML" in str(err)


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'default_model = "a"\n# caf\xe9\n')
    with pytest.raises(ConfigError, match="UTF-8") as info:
        load_config(path)
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        # unknown keys, with suggestions
        ('defualt_model = "a"\n' + MINIMAL, "defualt_model", 'did you mean "default_model"'),
        ("[loop_control]\nmax_steps = 3\n" + MINIMAL, "loop_control", "Kimi Code CLI"),
        ("[server]\nprot = 1\n" + MINIMAL, "server.prot", 'did you mean "port"'),
        (
            MINIMAL.replace('type = "echo"', 'type = "echo"\napikey = "x"'),
            "providers.e.apikey",
            'did you mean "api_key"',
        ),
        (
            MINIMAL + "[providers.e.headers]\nA = 'b'\n",
            "providers.e.headers",
            'did you mean "custom_headers"',
        ),
        (MINIMAL + "max_context = 5\n", "models.a.max_context", 'did you mean "max_context_size"'),
        # enumerations
        (
            MINIMAL.replace('"echo"', '"opneai"'),
            "providers.e.type",
            '"openai_responses", "google-genai"',
        ),
        (
            MINIMAL + 'max_tokens_field = "max_token"\n',
            "models.a.max_tokens_field",
            'did you mean "max_tokens"',
        ),
        (
            MINIMAL + 'capabilities = ["thinkng"]\n',
            "models.a.capabilities[0]",
            'did you mean "thinking"',
        ),
        ('[server]\nlog_level = "warn"\n' + MINIMAL, "server.log_level", '"warning"'),
        # references
        (
            MINIMAL.replace('provider = "e"', 'provider = "nope"'),
            "models.a.provider",
            'use one of the defined providers: "e"',
        ),
        (ECHO_MODEL, "models.a.provider", "add a [providers.e] table"),
        (MINIMAL + '[routes]\n"claude-*" = "b"\n', 'routes."claude-*"', '"a"'),
        (MINIMAL + '[routes]\n"claude-*" = 3\n', 'routes."claude-*"', "alias"),
        ('default_model = "aa"\n' + MINIMAL, "default_model", 'did you mean "a"'),
        # value types
        (MINIMAL.replace("1000", '"1000"'), "models.a.max_context_size", "remove the quotes"),
        (MINIMAL.replace("1000", "1000.0"), "models.a.max_context_size", "whole number"),
        ("[server]\nport = true\n" + MINIMAL, "server.port", "whole number"),
        ('[server]\nidle_timeout = "5m"\n' + MINIMAL, "server.idle_timeout", "number"),
        ("[server]\nhost = 1\n" + MINIMAL, "server.host", "double quotes"),
        ('default_thinking = "yes"\n' + MINIMAL, "default_thinking", "true or"),
        ("default_model = 1\n" + MINIMAL, "default_model", "double quotes"),
        (MINIMAL + 'capabilities = "thinking"\n', "models.a.capabilities", "array"),
        (MINIMAL + "capabilities = [1]\n", "models.a.capabilities[0]", "array of strings"),
        (
            MINIMAL.replace('type = "echo"', 'type = "echo"\ncustom_headers = { X = 1 }'),
            "providers.e.custom_headers.X",
            "double quotes",
        ),
        ('server = "x"\n' + MINIMAL, "server", "[server]"),
        ('providers = { e = "echo" }\n' + ECHO_MODEL, "providers.e", "[providers.e]"),
        # ranges
        (MINIMAL.replace("1000", "0"), "models.a.max_context_size", "positive"),
        (MINIMAL + "max_output_size = -1\n", "models.a.max_output_size", "positive"),
        (MINIMAL + "max_output_size = 2000\n", "models.a.max_output_size", "max_context_size"),
        ("[server]\nmax_connections = 0\n" + MINIMAL, "server.max_connections", "positive"),
        ("[server]\nidle_timeout = 0\n" + MINIMAL, "server.idle_timeout", "positive"),
        ("[server]\nconnect_timeout = -1.5\n" + MINIMAL, "server.connect_timeout", "positive"),
        ("[server]\nping_interval = nan\n" + MINIMAL, "server.ping_interval", "positive"),
        ("[server]\nport = 70000\n" + MINIMAL, "server.port", "between 0 and 65535"),
        ("[server]\nport = -1\n" + MINIMAL, "server.port", ">= 0"),
        ("[server]\nport = '4040'\n" + MINIMAL, "server.port", "remove the quotes"),
        # missing / empty required keys
        (
            '[providers.e]\nbase_url = "http://localhost"\n' + ECHO_MODEL,
            "providers.e.type",
            "one of",
        ),
        ('[providers.e]\ntype = "openai"\n' + ECHO_MODEL, "providers.e.base_url", "base_url ="),
        (
            '[providers.e]\ntype = "kimi"\nbase_url = ""\n' + ECHO_MODEL,
            "providers.e.base_url",
            "base_url =",
        ),
        (
            '[providers.e]\ntype = "openai"\nbase_url = "api.x.com/v1"\n' + ECHO_MODEL,
            "providers.e.base_url",
            "scheme",
        ),
        (MINIMAL.replace('provider = "e"\n', ""), "models.a.provider", "provider ="),
        (MINIMAL.replace('model = "m"\n', ""), "models.a.model", "model ="),
        (MINIMAL.replace('model = "m"', 'model = " "'), "models.a.model", "model ="),
        (
            MINIMAL.replace("max_context_size = 1000\n", ""),
            "models.a.max_context_size",
            "max_context_size = 131072",
        ),
        (ECHO_PROVIDER, "models", "[models.<alias>]"),
        (
            MINIMAL.replace(
                'type = "echo"', 'type = "echo"\ncustom_headers = { X = "${UNSET_VAR}" }'
            ),
            "providers.e.custom_headers.X",
            "export UNSET_VAR",
        ),
    ],
)
def test_validation_errors(tmp_path: Path, text: str, key: str, expected: str) -> None:
    err = fail(tmp_path, text)
    assert err.key == key, str(err)
    assert expected in f"{err.message}\n{err.fix}", str(err)
    assert str(err).startswith(f"{tmp_path / 'config.toml'}: {key}: ")


def test_quoted_keys_in_error_paths(tmp_path: Path) -> None:
    text = MINIMAL.replace("[models.a]", '[models."k2.6"]').replace("1000", "0")
    assert fail(tmp_path, text).key == 'models."k2.6".max_context_size'


def test_errors_never_show_the_key(tmp_path: Path) -> None:
    text = nim(api_key=SECRET, extra="custom_headers = { Authorization = 5 }")
    assert SECRET not in str(fail(tmp_path, text))
    text = nim(api_key=SECRET).replace("max_context_size = 1000", "max_context_size = 0")
    assert SECRET not in str(fail(tmp_path, text))


# --- credentials ------------------------------------------------------------------------------


def test_api_key_beats_env_table_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NVIDIA_API_KEY", "from-process")
    cfg = load(tmp_path, nim(api_key="literal", env_table='NVIDIA_API_KEY = "from-table"'))
    assert (cfg.providers["nim"].api_key, cfg.providers["nim"].key_source) == ("literal", "api_key")


def test_env_table_value_beats_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NVIDIA_API_KEY", "from-process")
    cfg = load(tmp_path, nim(api_key="", env_table='NVIDIA_API_KEY = "from-table"'))
    p = cfg.providers["nim"]
    assert (p.api_key, p.key_source) == ("from-table", "env.NVIDIA_API_KEY")


def test_empty_env_table_value_reads_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NVIDIA_API_KEY", "from-process")
    cfg = load(tmp_path, nim(env_table='NVIDIA_API_KEY = ""'))
    p = cfg.providers["nim"]
    assert (p.api_key, p.key_source) == ("from-process", "$NVIDIA_API_KEY")
    assert p.env == {"NVIDIA_API_KEY": ""}


def test_first_key_like_env_entry_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TOKEN", "tok")
    monkeypatch.setenv("OTHER_KEY", "other")
    table = 'REGION = "eu"\nMY_TOKEN = ""\nOTHER_KEY = ""'
    assert load(tmp_path, nim(env_table=table)).providers["nim"].api_key == "tok"


def test_api_key_env_var_expansion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIM_KEY", "expanded")
    assert load(tmp_path, nim(api_key="${NIM_KEY}")).providers["nim"].api_key == "expanded"
    monkeypatch.setenv("HEADER_VAR", "hv")
    text = nim(api_key="pre-${NIM_KEY}", extra='custom_headers = { X = "a ${HEADER_VAR}" }')
    p = load(tmp_path, text).providers["nim"]
    assert (p.api_key, p.custom_headers) == ("pre-expanded", {"X": "a hv"})


def test_unset_var_falls_back_to_env_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NVIDIA_API_KEY", "from-process")
    cfg = load(tmp_path, nim(api_key="${UNSET_VAR}", env_table='NVIDIA_API_KEY = ""'))
    assert cfg.providers["nim"].api_key == "from-process"


def test_missing_key_names_provider_and_fix(tmp_path: Path) -> None:
    err = fail(tmp_path, nim())
    assert err.key == "providers.nim"
    assert err.message == "no API key"
    assert str(tmp_path / "config.toml") in err.fix
    assert 'add [providers.nim.env] NVIDIA_API_KEY = "" and export NVIDIA_API_KEY' in err.fix
    assert str(err).startswith(f"{tmp_path / 'config.toml'}: providers.nim: no API key")


def test_missing_key_explains_unset_var_and_empty_entry(tmp_path: Path) -> None:
    err = fail(tmp_path, nim(api_key="${UNSET_VAR}", env_table='NVIDIA_API_KEY = ""'))
    assert "${UNSET_VAR}" in err.message
    assert "NVIDIA_API_KEY is empty" in err.message
    assert err.fix.startswith("export NVIDIA_API_KEY=")
    err = fail(tmp_path, nim(api_key="${UNSET_VAR}"))
    assert err.fix.startswith("export UNSET_VAR=")


def test_missing_key_hint_uses_provider_name_for_unknown_hosts(tmp_path: Path) -> None:
    text = (
        nim().replace("integrate.api.nvidia.com", "openrouter.ai/api").replace("nim", "openrouter")
    )
    assert "export OPENROUTER_API_KEY" in fail(tmp_path, text).fix


def test_unused_provider_needs_no_key(tmp_path: Path) -> None:
    text = (
        MINIMAL + '[providers.spare]\ntype = "anthropic"\nbase_url = "https://api.anthropic.com"\n'
    )
    assert load(tmp_path, text).providers["spare"].api_key == ""


@pytest.mark.parametrize(
    "url", ["http://localhost:11434/v1", "http://127.0.0.1:8000/v1", "http://[::1]:8000/v1"]
)
def test_local_base_url_needs_no_key(tmp_path: Path, url: str) -> None:
    text = nim().replace("https://integrate.api.nvidia.com/v1", url)
    p = load(tmp_path, text).providers["nim"]
    assert (p.api_key, p.key_source) == ("", "")


# --- profiles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ptype", "url", "profile"),
    [
        ("openai", "https://integrate.api.nvidia.com/v1", "nim"),
        ("openai", "https://api.moonshot.ai/v1", "kimi"),
        ("openai", "https://api.kimi.com/coding/v1", "kimi"),
        ("openai", "https://api.deepseek.com", "deepseek"),
        ("openai", "https://api.openai.com/v1", "openai_official"),
        ("openai", "https://openrouter.ai/api/v1", "openai"),
        ("openai", "http://localhost:8000/v1", "openai"),
        ("kimi", "https://api.kimi.com/coding/v1", "kimi"),
        ("anthropic", "https://api.anthropic.com", "anthropic"),
        ("openai_responses", "https://api.openai.com/v1", "openai_responses"),
        ("google-genai", "", "google-genai"),
    ],
)
def test_profile_name_derivation(ptype: str, url: str, profile: str) -> None:
    assert ProviderConfig(name="p", type=ptype, base_url=url).profile_name == profile
    explicit = ProviderConfig(name="p", type=ptype, base_url=url, profile="custom")
    assert explicit.profile_name == "custom"


# --- discovery and the default ------------------------------------------------------------------


def test_find_config_path_priority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_file = Path(platformdirs.user_config_dir("crosswire")) / "config.toml"
    assert tmp_path in user_file.parents  # the fixture isolated it
    assert find_config_path(None) is None
    user_file.parent.mkdir(parents=True)
    user_file.write_text(MINIMAL)
    assert find_config_path(None) == user_file
    monkeypatch.setenv("CROSSWIRE_CONFIG", str(tmp_path / "env.toml"))
    assert find_config_path(None) == tmp_path / "env.toml"
    assert find_config_path(str(tmp_path / "cli.toml")) == tmp_path / "cli.toml"
    assert find_config_path("~/x.toml") == Path.home() / "x.toml"


def test_default_config() -> None:
    cfg = default_config()
    assert cfg.path is None
    assert cfg.default_model == "echo"
    assert cfg.routes == []
    assert cfg.providers == {"echo": ProviderConfig(name="echo", type="echo")}
    model = cfg.models["echo"]
    assert (model.provider, model.model, model.max_context_size) == ("echo", "echo", 200000)
    assert model.capabilities == {"thinking", "image_in", "tool_use"}
    assert cfg.provider_for(model).profile_name == "echo"
    assert load_config(None) == cfg


def test_loads_config_without_file() -> None:
    with pytest.raises(ConfigError) as info:
        loads_config("x = 1")
    assert str(info.value).startswith("<config>: x: ")


# --- redaction --------------------------------------------------------------------------------


def test_repr_redacts_secrets() -> None:
    p = ProviderConfig(
        name="nim",
        type="openai",
        api_key=SECRET,
        custom_headers={"Authorization": f"Bearer {SECRET}", "X-Foo": "bar"},
        env={"NVIDIA_API_KEY": SECRET, "EMPTY_KEY": ""},
    )
    for text in (repr(p), str(p), repr(Config(providers={"nim": p}))):
        assert SECRET not in text
        assert "nva…1234" in text
        assert "'X-Foo': 'bar'" in text
    assert "api_key=''" in repr(ProviderConfig(name="l", type="openai"))


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        ("sk-abcdefghijklmnop", "sk-…mnop"),
        ("123456789012", "123…9012"),
        ("short", "***"),
        ("", "***"),
    ],
)
def test_redact_secret(secret: str, shown: str) -> None:
    assert redact_secret(secret) == shown


def test_redact_headers() -> None:
    headers = {"x-api-key": SECRET, "Content-Type": "application/json"}
    assert redact_headers(headers) == {"x-api-key": "nva…1234", "Content-Type": "application/json"}
