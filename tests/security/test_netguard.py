"""``crosswire.netguard``: no fetch of private, loopback, link-local or reserved addresses."""

from __future__ import annotations

import ipaddress

import pytest

from crosswire import netguard


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x.png",
        "http://127.1.2.3/",
        "http://localhost/",
        "http://10.0.0.5/",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://[::1]/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[fd12:3456::1]/",
        "http://[ff02::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[2001:db8::1]/",  # documentation
        "ftp://8.8.8.8/",
        "file:///etc/passwd",
        "http://user:pw@8.8.8.8/",
        "http:///nohost",
        "http://[::1/",
        "http://8.8.8.8:99999/",
        "http://no-such-host.invalid/",
    ],
)
def test_refused(url: str) -> None:
    assert not netguard.is_public_http_url(url)


@pytest.mark.parametrize(
    "url", ["http://8.8.8.8/a.png", "https://1.1.1.1:8443/", "https://[2606:4700:4700::1111]/"]
)
def test_public_literals_allowed(url: str) -> None:
    assert netguard.is_public_http_url(url)


def test_every_resolved_address_must_be_public(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {
        "mixed.example": ["8.8.8.8", "10.0.0.1"],
        "public.example": ["8.8.4.4", "2606:4700:4700::1111"],
    }
    monkeypatch.setattr(
        netguard,
        "resolve_host",
        lambda host, port: [ipaddress.ip_address(a) for a in answers[host]],
    )
    assert not netguard.is_public_http_url("https://mixed.example/i.png")
    assert netguard.is_public_http_url("https://public.example/i.png")
