"""The session-wide scanner of tests/conftest.py catches a key in a log line."""

from __future__ import annotations

import logging

from tests.conftest import SCANNER, SecretScanner


def test_scanner_catches_a_leak_without_failing_the_session() -> None:
    probe = SecretScanner()
    logger = logging.getLogger("crosswire.test_probe")
    logger.addHandler(probe)
    logger.propagate = False  # keep this deliberate leak away from the session scanner
    try:
        logger.warning("upstream said: bad key %s", "sk-upstream-secret-key-0001")
        logger.warning("upstream said: bad key sk-…0001")
    finally:
        logger.removeHandler(probe)
        logger.propagate = True
    assert len(probe.leaks) == 1
    assert SCANNER in logging.getLogger().handlers
