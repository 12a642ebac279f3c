"""What the simulator keeps to those who started it, asked as a second client would: plain
pyVmomi and plain HTTP, trusting the simulator's own certificate.

Guest programs run on this machine as the simulator's user, so guest operations require
credentials made at start; the control endpoint (faults, latency) requires a token made at
start; datastore files over /folder require a logged-in session, as on vCenter."""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from tests.helpers import find_vm, wait_until
from vmware_wrapper.testing import Simulator

GuestAuth = vim.vm.guest.NamePasswordAuthentication
ProgramSpec = vim.vm.guest.ProcessManager.ProgramSpec
VMW = str(Path(sys.executable).with_name("vmw"))
EXPORT = re.compile(r"^export (\w+)='([^']*)'$")


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(tls=True, vms_per_pool=1, tools_delay=0.1, guest_delay=0.05) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def context(sim: Simulator) -> ssl.SSLContext:
    """Trusts the simulator's certificate, and only that."""
    return ssl.create_default_context(cafile=sim.ca_file)


def connect(host: str, port: int, user: str, password: str, cafile: str) -> Any:
    return SmartConnect(
        host=host,
        port=port,
        user=user,
        pwd=password,
        sslContext=ssl.create_default_context(cafile=cafile),
    )


@pytest.fixture(scope="module")
def si(sim: Simulator) -> Iterator[Any]:
    service_instance = connect(sim.host, sim.port, "someone", "anything", sim.ca_file)
    try:
        yield service_instance
    finally:
        Disconnect(service_instance)


def running_vm(si: Any, name: str = "DC0_H0_VM0") -> Any:
    vm = find_vm(si, name)
    wait_until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", what="tools running")
    return vm


def run_in_guest(si: Any, vm: Any, auth: Any) -> int:
    """Starts /bin/true in the guest and returns its exit code, through plain pyVmomi."""
    manager = si.content.guestOperationsManager.processManager
    pid = manager.StartProgramInGuest(vm, auth, ProgramSpec(programPath="/bin/true"))
    info = wait_until(
        lambda: (p := manager.ListProcessesInGuest(vm, auth, [pid])[0]).endTime and p,
        what="exit",
    )
    return int(info.exitCode)


# -- guest operations ------------------------------------------------------------------------


def test_guest_credentials_are_made_at_start(sim):
    assert sim.guest_username == "vmw-guest"
    assert len(sim.guest_password) >= 20
    with Simulator(vms_per_pool=0) as other:  # another start, another password
        assert other.guest_password != sim.guest_password


def test_wrong_guest_credentials_are_refused(sim, si):
    vm = running_vm(si)
    manager = si.content.guestOperationsManager.processManager
    wrong = [
        (sim.guest_username, "wrong"),
        ("root", sim.guest_password),
        ("root", "secret"),  # what tests used to pass
        (sim.guest_username, ""),
    ]
    for user, password in wrong:
        auth = GuestAuth(username=user, password=password)
        with pytest.raises(vim.fault.InvalidGuestLogin):
            manager.StartProgramInGuest(vm, auth, ProgramSpec(programPath="/bin/true"))
        with pytest.raises(vim.fault.InvalidGuestLogin):
            manager.ListProcessesInGuest(vm, auth)


def test_the_guest_credentials_of_the_ready_line_work(sim, si):
    vm = running_vm(si)
    auth = GuestAuth(username=sim.guest_username, password=sim.guest_password)
    assert run_in_guest(si, vm, auth) == 0


# -- the control endpoint --------------------------------------------------------------------


def control(
    sim: Simulator,
    context: ssl.SSLContext,
    path: str,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    url = f"https://{sim.host}:{sim.port}/_sim/{path}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def token_of(sim: Simulator) -> str:
    return str(sim._get("control_token"))


RULE = {"method": "PowerOnVM_Task", "fault": "InvalidState", "count": 1}


def test_the_control_endpoint_refuses_requests_without_the_token(sim, context):
    bearer = {"Authorization": f"Bearer {token_of(sim)}"}
    refused = [
        ({}, 401),
        ({"Authorization": "Bearer not-the-token"}, 403),
        ({"X-Vmw-Sim-Token": "not-the-token"}, 403),
        ({"Authorization": f"Basic {token_of(sim)}"}, 401),
    ]
    try:
        for headers, code in refused:
            assert control(sim, context, "faults", "POST", RULE, headers)[0] == code, headers
            assert (
                control(sim, context, "latency", "POST", {"method": "*", "seconds": 5}, headers)[0]
                == code
            )
            assert control(sim, context, "faults", headers=headers)[0] == code
            assert control(sim, context, "calls", "DELETE", headers=headers)[0] == code
        # Nothing of it took effect.
        assert control(sim, context, "faults", headers=bearer) == (200, [])
        assert control(sim, context, "latency", headers=bearer) == (200, {})
    finally:
        control(sim, context, "faults", "DELETE", headers=bearer)
        control(sim, context, "latency", "DELETE", headers=bearer)


def test_the_control_endpoint_works_with_the_token(sim, context):
    for headers in (
        {"Authorization": f"Bearer {token_of(sim)}"},
        {"X-Vmw-Sim-Token": token_of(sim)},
    ):
        status, rules = control(sim, context, "faults", "POST", RULE, headers)
        assert status == 200
        assert [r["method"] for r in rules] == ["PowerOnVM_Task"]
        assert control(sim, context, "faults", "DELETE", headers=headers) == (200, [])
    # And Simulator sends it.
    sim.inject_fault("PowerOnVM_Task", "InvalidState")
    assert [r["fault"] for r in sim.pending_faults()] == ["InvalidState"]
    sim.clear_faults()
    assert sim.pending_faults() == []


# -- datastore files over /folder ------------------------------------------------------------


def vmx_url(sim: Simulator, vm: Any) -> str:
    """The /folder URL of a VM's configuration file, as vCenter's datastore browser gives it."""
    datastore, _, path = vm.config.files.vmPathName.partition("] ")
    query = urllib.parse.urlencode({"dcPath": "DC0", "dsName": datastore.lstrip("[")})
    return f"https://{sim.host}:{sim.port}/folder/{urllib.parse.quote(path)}?{query}"


def fetch(
    url: str, context: ssl.SSLContext, cookie: str | None = None, **kw: Any
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, **kw)
    if cookie is not None:
        request.add_header("Cookie", f"vmware_soap_session={cookie}")
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def session_cookie(si: Any) -> str:
    return SimpleCookie(si._stub.cookie)["vmware_soap_session"].value


def test_folder_refuses_requests_without_a_session(sim, si, context):
    url = vmx_url(sim, find_vm(si, "DC0_H0_VM0"))
    assert fetch(url, context)[0] == 401
    assert fetch(url, context, cookie="not-a-session")[0] == 401
    assert fetch(url, context, method="HEAD")[0] == 401
    # Nor can a file be written.
    put = url.replace("DC0_H0_VM0.vmx", "planted.txt")
    assert fetch(put, context, data=b"x", method="PUT")[0] == 401
    assert fetch(put, context, cookie=session_cookie(si))[0] == 404


def test_folder_serves_a_logged_in_session(sim, si, context):
    url = vmx_url(sim, find_vm(si, "DC0_H0_VM0"))
    cookie = session_cookie(si)
    assert fetch(url, context, cookie=cookie) == (200, b"")  # the simulator's .vmx is empty
    # A file written in a session reads back in it, and not without one.
    notes = url.replace("DC0_H0_VM0.vmx", "notes.txt")
    assert fetch(notes, context, cookie=cookie, data=b"kept", method="PUT")[0] == 200
    assert fetch(notes, context, cookie=cookie) == (200, b"kept")
    assert fetch(notes, context)[0] == 401

    other = connect(sim.host, sim.port, "another", "user", sim.ca_file)
    cookie = session_cookie(other)
    assert fetch(url, context, cookie=cookie)[0] == 200
    other.content.sessionManager.Logout()
    other._stub.DropConnections()
    assert fetch(url, context, cookie=cookie)[0] == 401  # logged out: no more


# -- vmw sim ---------------------------------------------------------------------------------


@pytest.mark.timeout(180)
def test_vmw_sim_prints_the_guest_credentials_it_enforces():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "GOVC_"))}
    proc = subprocess.Popen(  # stopped below
        [VMW, "sim", "--vms-per-pool", "1"],
        env=clean,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    try:
        env: dict[str, str] = {}
        while "VMWARE_GUEST_PASSWORD" not in env:
            line = proc.stdout.readline()
            assert line, f"vmw sim ended: {proc.stderr.read()}"
            match = EXPORT.match(line.strip())
            assert match, line
            env[match[1]] = match[2]
        notes = []
        while not any("guest" in note for note in notes):
            note = proc.stderr.readline()
            assert note, f"vmw sim said nothing of guest credentials: {notes}"
            notes.append(note)
        user, password = env["VMWARE_GUEST_USER"], env["VMWARE_GUEST_PASSWORD"]
        assert user in notes[-1]
        assert password in notes[-1]

        si = connect(
            env["VMWARE_HOST"],
            int(env["VMWARE_PORT"]),
            env["VMWARE_USER"],
            env["VMWARE_PASSWORD"],
            env["GOVC_TLS_CA_CERTS"],
        )
        try:
            vm = running_vm(si)
            assert run_in_guest(si, vm, GuestAuth(username=user, password=password)) == 0
            with pytest.raises(vim.fault.InvalidGuestLogin):
                run_in_guest(si, vm, GuestAuth(username=user, password=password + "x"))
        finally:
            Disconnect(si)
        # And vmw guest reads them from the exports.
        done = subprocess.run(
            [VMW, "guest", "run", "DC0_H0_VM0", "--", "/bin/echo", "hello"],
            env={**clean, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (done.returncode, done.stdout) == (0, "hello\n"), done.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
