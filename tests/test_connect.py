"""Connecting: certificates verified by default (localhost too), pinning, bad credentials."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time

import pytest

from vmware_wrapper import AuthenticationError, ConnectError, InvalidInputError, VSphere
from vmware_wrapper.testing import Simulator


@pytest.fixture(scope="module")
def tls_simulator():
    with Simulator(tls=True, vms_per_pool=0, username="admin", password="right") as sim:
        yield sim


def test_a_self_signed_certificate_is_refused_by_default_even_on_localhost(tls_simulator):
    for host in ("127.0.0.1", "localhost"):
        with pytest.raises(ConnectError, match="certificate"):
            VSphere(host, "admin", "right", port=tls_simulator.port)


@pytest.mark.parametrize("which", ["sha256", "sha1", "sha256-bare-lowercase"])
def test_a_pinned_thumbprint_is_accepted(tls_simulator, which):
    thumbprint = {
        "sha256": tls_simulator.thumbprint,
        "sha1": tls_simulator.thumbprint_sha1,
        "sha256-bare-lowercase": tls_simulator.thumbprint.replace(":", "").lower(),
    }[which]
    with VSphere(
        "127.0.0.1", "admin", "right", port=tls_simulator.port, thumbprint=thumbprint
    ) as vs:
        assert vs.content.about.apiType == "VirtualCenter"


def test_a_wrong_thumbprint_is_refused_and_both_are_shown(tls_simulator):
    with pytest.raises(ConnectError, match="thumbprint mismatch") as raised:
        VSphere("127.0.0.1", "admin", "right", port=tls_simulator.port, thumbprint="00" * 32)
    assert tls_simulator.thumbprint in str(raised.value)


def test_a_ca_file_is_trusted(tls_simulator):
    with VSphere(
        "localhost", "admin", "right", port=tls_simulator.port, ca_file=tls_simulator.ca_file
    ) as vs:
        assert vs.content.about.apiType == "VirtualCenter"


def test_insecure_is_explicit_and_warned_about(tls_simulator, caplog):
    with (
        caplog.at_level(logging.WARNING, logger="vmware_wrapper"),
        VSphere("127.0.0.1", "admin", "right", port=tls_simulator.port, insecure=True),
    ):
        pass
    assert "certificate checks" in caplog.text
    assert "right" not in caplog.text


def test_wrong_credentials_raise_authentication_error_without_the_password(tls_simulator):
    with pytest.raises(AuthenticationError) as raised:
        VSphere(
            "127.0.0.1",
            "admin",
            "hunter2-wrong",
            port=tls_simulator.port,
            thumbprint=tls_simulator.thumbprint,
        )
    assert "admin" in str(raised.value)
    assert "hunter2" not in str(raised.value)
    assert "hunter2" not in repr(raised.value)


def test_the_password_is_not_in_repr(tls_simulator):
    with tls_simulator.connect() as vs:
        assert "right" not in repr(vs)
        assert "admin" in repr(vs)
        assert "right" not in repr(vs._session.settings)


def test_an_unreachable_server_raises_connect_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here
    with pytest.raises(ConnectError, match="cannot reach"):
        VSphere("127.0.0.1", "u", "p", port=port, protocol="http", retry_timeout=0.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"host": ""}, "host"),
        ({"host": "vc/sdk"}, "host"),
        ({"port": 0}, "port"),
        ({"protocol": "ftp"}, "protocol"),
        ({"username": ""}, "username"),
        ({"thumbprint": "nope"}, "thumbprint"),
        ({"insecure": True, "thumbprint": "00" * 20}, "contradict"),
    ],
)
def test_bad_settings_are_refused_before_connecting(kwargs, match):
    settings = {"host": "127.0.0.1", "username": "u", "password": "p", **kwargs}
    with pytest.raises(InvalidInputError, match=match):
        VSphere(**settings)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens here once closed


def test_a_refused_first_connection_fails_within_3_seconds():
    port = _closed_port()
    started = time.monotonic()
    with pytest.raises(ConnectError, match=r"gave up after 2 s \(retry_timeout= waits longer\)"):
        VSphere("127.0.0.1", "u", "p", port=port, protocol="http")
    assert time.monotonic() - started < 3.5  # 3 s, and some room for a busy machine


def test_an_unresolvable_host_fails_at_once():
    started = time.monotonic()
    with pytest.raises(ConnectError, match="cannot resolve"):
        VSphere("no-such-host.invalid", "u", "p")
    assert time.monotonic() - started < 5


def test_retry_timeout_given_applies_to_the_first_connection_too():
    port = _closed_port()
    started = time.monotonic()
    with pytest.raises(ConnectError, match=r"gave up after 1\.5 s"):
        VSphere("127.0.0.1", "u", "p", port=port, protocol="http", retry_timeout=1.5)
    assert 1.3 < time.monotonic() - started < 4


def test_an_untrusted_certificate_names_its_thumbprint_and_the_ways_forward(tls_simulator):
    with pytest.raises(ConnectError) as caught:
        VSphere("127.0.0.1", "admin", "right", port=tls_simulator.port)
    message = str(caught.value)
    assert tls_simulator.thumbprint.upper().replace(":", "") in message.replace(":", "")
    for way in ("thumbprint=", "ca_file=", "insecure=True"):
        assert way in message
    # The thumbprint it shows is one that works.
    shown = message.split("thumbprint ")[1].split(".")[0]
    with VSphere("127.0.0.1", "admin", "right", port=tls_simulator.port, thumbprint=shown) as vs:
        assert vs.content.about.apiType == "VirtualCenter"


def test_a_script_that_never_closes_its_connection_exits_quietly(tmp_path):
    script = tmp_path / "leave_open.py"
    script.write_text(
        "from vmware_wrapper.testing import Simulator\n"
        "sim = Simulator(vms_per_pool=1).start()\n"
        "vs = sim.connect()\n"
        "print(len(vs.list_vms()))\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no "unreachable ... retrying for up to 30 s" on the way out
    assert time.monotonic() - started < 30
