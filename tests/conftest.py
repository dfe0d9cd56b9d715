"""Session-wide secret scan: every log record any test produces (any thread, any logger) is
formatted — traceback included — and checked for the test suite's known keys at the end.
A key in a log line fails the run. Records are checked as they arrive; nothing is kept."""

from __future__ import annotations

import logging
import os
import tempfile

import pytest

KNOWN_SECRETS = (
    "sk-upstream-secret-key-0001",  # tests/support/servers.py, tests/integration
    "sk-upstream-plain-key-0001",
    "sk-primary-secret-key-0001",
    "sk-kimi-upstream-0001",
    "sk-matrix-chat-upstream-0001",  # tests/support/upstreams/scenarios.py
    "sk-ant-matrix-upstream-0002",
    "sk-matrix-responses-upstream-0003",
    "AIzaMatrixGeminiUpstream0004",
    "nvapi-SECRETSECRETSECRET-1234",  # tests/test_config.py
    "sk-ant-client-secret-1234",  # a client's key: must not be logged either
    "client-bearer-token-5678",
    "cw-test-gateway-key-alpha-000000001",  # tests/security
    "cw-test-gateway-key-bravo-000000002",
    "cw-test-gateway-key-wrong-000000003",
)


class SecretScanner(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a record that cannot be formatted cannot leak either
            return
        for secret in KNOWN_SECRETS:
            if secret in line and len(self.leaks) < 20:
                self.leaks.append(f"{secret!r} in: {line[:300]}")


SCANNER = SecretScanner()


def pytest_sessionstart(session: pytest.Session) -> None:
    logging.getLogger().addHandler(SCANNER)
    crosswire = logging.getLogger("crosswire")
    if crosswire.level == logging.NOTSET:
        crosswire.setLevel(logging.DEBUG)  # scan the access log and debug lines too
    # Gateways started by tests keep their request log (on by default, under the user state
    # dir) out of the developer's home.
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="crosswire-test-state-")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(SCANNER)
    if SCANNER.leaks:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "secrets found in log records:\n  " + "\n  ".join(SCANNER.leaks)
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
