"""The Python harness around the simulator program."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import find_vm
from vmware_wrapper import VSphere
from vmware_wrapper.testing import Simulator, SimulatorError


def test_context_manager_starts_and_stops_the_process():
    with Simulator(vms_per_pool=0) as sim:
        pid = sim.pid
        assert sim.running
        os.kill(pid, 0)  # alive
    assert not sim.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_failed_start_reports_the_simulators_own_words():
    sim = Simulator(api_version="9.9")
    with pytest.raises(SimulatorError, match=r"exited with status 2.*-api-version \"9\.9\""):
        sim.start()
    assert not sim.running


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"vms_per_pool": -1}, r"vms_per_pool=-1: a count, 0 or more"),
        ({"load": "."}, r"not an inventory saved with 'govc object.save'"),
    ],
)
def test_bad_options_are_refused_before_starting(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Simulator(**kwargs)


def test_a_program_that_is_not_the_simulator_is_reported(tmp_path):
    fake = tmp_path / "fake-sim"
    fake.write_text("#!/bin/sh\necho hello\nsleep 5\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(SimulatorError, match="instead of its ready line"):
        Simulator(binary=str(fake)).start()


def test_a_missing_binary_says_in_one_line_how_to_get_it(monkeypatch, tmp_path):
    import vmware_wrapper.testing._simulator as module

    monkeypatch.setenv("VMW_SIM", "")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(module, "__file__", str(tmp_path / "_simulator.py"))
    with pytest.raises(SimulatorError) as raised:
        module.find_binary()
    message = str(raised.value)
    assert "\n" not in message
    for way in ("wheel", "make sim", "pip install", "Go 1.25", "VMW_SIM"):
        assert way in message


def test_credentials_go_together():
    with pytest.raises(ValueError, match="together"):
        Simulator(username="admin")


def test_env_describes_how_to_connect(vsphere_simulator):
    env = vsphere_simulator.env
    assert env["VMWARE_HOST"] == vsphere_simulator.host
    assert env["VMWARE_PORT"] == str(vsphere_simulator.port)
    assert env["VMWARE_USER"] == vsphere_simulator.username
    assert "VMWARE_THUMBPRINT" not in env  # plain http
    assert env["GOVC_URL"] == f"http://{vsphere_simulator.host}:{vsphere_simulator.port}/sdk"
    assert (env["GOVC_USERNAME"], env["GOVC_PASSWORD"]) == ("user", "pass")
    assert "GOVC_TLS_CA_CERTS" not in env


def test_env_connects_from_env_and_vmw(vsphere_simulator, si):
    with VSphere.from_env(vsphere_simulator.env) as vs:
        assert vs.content.about.apiType == "VirtualCenter"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("vmw")), "--json", "vm", "info", "DC0_H0_VM0"],
        env={**os.environ, **vsphere_simulator.env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["moid"] == find_vm(si, "DC0_H0_VM0")._moId


def test_connect_returns_a_logged_in_vsphere(vsphere_simulator, si):
    vs = vsphere_simulator.connect()
    try:
        sessions = {s.key for s in si.content.sessionManager.sessionList}
        assert vs.content.sessionManager.currentSession.key in sessions
    finally:
        vs.close()
