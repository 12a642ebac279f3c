"""Sessions that survive: terminated, expired, a server that goes away, many threads."""

from __future__ import annotations

import http.client
import logging
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import find_vm, wait_until
from vmware_wrapper import ConnectError, OperationTimeout, VSphere
from vmware_wrapper.testing import Simulator


def session_key(vs):
    return vs.content.sessionManager.currentSession.key


def test_a_session_terminated_by_another_mid_loop_is_replaced(vsphere, si):
    before = session_key(vsphere)
    for i in range(30):
        if i == 10:
            si.content.sessionManager.TerminateSession([before])
        assert vsphere.vm_info("DC0_H0_VM0").name == "DC0_H0_VM0"
    assert session_key(vsphere) != before
    assert before not in {s.key for s in si.content.sessionManager.sessionList}


def test_a_session_terminated_during_a_task_wait_is_replaced(vsphere, vsphere_simulator, si):
    vm = vsphere.get_vm("DC0_C0_RP0_VM0")
    vsphere_simulator.set_task_delay("PowerOffVM_Task", 1.5)
    try:
        handle = vsphere._tasks.handle(vm.PowerOffVM_Task(), "power off")
        killer = threading.Timer(
            0.5, lambda: si.content.sessionManager.TerminateSession([session_key(vsphere)])
        )
        killer.start()
        handle.wait(timeout=10)
        killer.join()
        assert vm.runtime.powerState == "poweredOff"
    finally:
        vsphere_simulator.clear_task_delays()
        vsphere._tasks.handle(vm.PowerOnVM_Task(), "power on").wait()


def test_an_idle_session_expired_by_the_server_is_replaced():
    with Simulator(session_idle_timeout=1, vms_per_pool=1) as sim, sim.connect() as vs:
        before = session_key(vs)
        time.sleep(2.5)
        assert vs.vm_info("DC0_H0_VM0").power_state == "poweredOn"
        assert session_key(vs) != before


def test_relogging_in_never_logs_the_password(caplog):
    with (
        Simulator(vms_per_pool=1, username="admin", password="s3cr3t-pw") as sim,
        sim.connect() as vs,
    ):
        with caplog.at_level(logging.DEBUG):
            other = sim.pyvmomi()
            other.content.sessionManager.TerminateSession([session_key(vs)])
            vs.vm_info("DC0_H0_VM0")
            other.content.sessionManager.Logout()
            other._stub.DropConnections()
        assert "expired; logging in again" in caplog.text
        assert "s3cr3t-pw" not in caplog.text


@pytest.mark.timeout(60)  # a hang fails here rather than at the session's 120 s
def test_a_server_killed_mid_call_gives_connect_error_without_hanging(caplog):
    sim = Simulator(vms_per_pool=1).start()
    try:
        vs = sim.connect(retry_timeout=2)
        vm = vs.get_vm("DC0_H0_VM0")
        sim.set_task_delay("PowerOffVM_Task", 30)
        handle = vs._tasks.handle(vm.PowerOffVM_Task(), "power off")
        threading.Timer(0.5, lambda: os.kill(sim.pid, signal.SIGKILL)).start()
        # The wait's own timeout (10 s) is far beyond the 2 s of retrying: a wait that did
        # not give up on the lost server would end in OperationTimeout instead.
        with pytest.raises(ConnectError, match="gave up after 2 s"):
            handle.wait(timeout=10)
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="vmware_wrapper"):
            vs.close()  # does not wait for the lost server either: no retrying at all
        assert "retrying" not in caplog.text
        assert "unreachable" not in caplog.text
    finally:
        sim.stop()


def _all_threads_stopped(pid: int) -> bool:
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        # The state follows the command name in parentheses, which may hold spaces.
        states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
    return all(state in ("T", "t") for state in states)


@pytest.mark.timeout(60)  # a request that is never given up on fails here
def test_a_server_that_stops_answering_gives_operation_timeout():
    sim = Simulator(vms_per_pool=1).start()
    try:
        with sim.connect(request_timeout=2, retry_timeout=2, watch_inventory=False) as vs:
            vs.get_vm("DC0_H0_VM0")
            os.kill(sim.pid, signal.SIGSTOP)
            try:
                # kill() returns once the signal is sent: on another core the server may
                # still answer a request sent at once. Wait until all its threads stopped.
                wait_until(lambda: _all_threads_stopped(sim.pid), what="the simulator stopped")
                # After the request timeout (2 s), not whenever the server answers (never).
                with pytest.raises(OperationTimeout, match=r"did not answer .* within 2 s"):
                    vs.vm_info("DC0_H0_VM0")
            finally:
                os.kill(sim.pid, signal.SIGCONT)
    finally:
        sim.stop()


def test_a_slow_answer_within_the_request_timeout_is_waited_for(vsphere_simulator):
    with vsphere_simulator.connect(request_timeout=5) as vs:
        vs.get_vm("DC0_H0_VM0")
        vsphere_simulator.set_latency("RetrievePropertiesEx", 1)
        try:
            assert vs.vm_info("DC0_H0_VM0").name == "DC0_H0_VM0"
        finally:
            vsphere_simulator.clear_latency()


@pytest.mark.timeout(60)  # retrying past the deadline for good fails here
def test_an_unreachable_server_is_retried_until_the_deadline(monkeypatch, caplog):
    sim = Simulator(vms_per_pool=1).start()
    port = sim.port
    sim.stop()
    attempts = []
    connect = http.client.HTTPConnection.connect

    def counting_connect(self):
        if self.port == port:
            attempts.append(1)
        return connect(self)

    monkeypatch.setattr(http.client.HTTPConnection, "connect", counting_connect)
    with (
        caplog.at_level(logging.INFO, logger="vmware_wrapper"),
        pytest.raises(ConnectError, match=r"gave up after 1\.5 s"),
    ):
        VSphere("127.0.0.1", "u", "p", port=port, protocol="http", retry_timeout=1.5)
    assert "retrying for up to 1.5 s" in caplog.text
    # Tried again, with pauses that double from 0.1 s (about five tries in 1.5 s), not once
    # and not in a tight loop.
    assert 2 <= len(attempts) <= 10, len(attempts)


def test_16_threads_share_one_vsphere(vsphere, vsphere_simulator, si):
    errors: list[BaseException] = []
    names = ["DC0_H0_VM0", "DC0_H0_VM1", "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"]
    vsphere_simulator.set_task_delay("ReconfigVM_Task", 0.2)
    from pyVmomi import vim

    def work(n):
        try:
            for i in range(5):
                name = names[(n + i) % len(names)]
                assert vsphere.get_vm(name).name == name
                assert vsphere.vm_info(name).name == name
                assert len(vsphere.list_vms("DC0_*")) == 4
                if i == 2 and n < len(names):
                    vm = vsphere.get_vm(names[n])
                    spec = vim.vm.ConfigSpec(annotation=f"thread {n}")
                    vsphere._tasks.handle(vm.ReconfigVM_Task(spec), "annotate").wait(timeout=30)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        vsphere_simulator.clear_task_delays()
    assert errors == []

    for n, name in enumerate(names):
        vm = find_vm(si, name)
        assert vm.config.annotation == f"thread {n}"


def test_connections_the_server_closed_while_idle_are_retried(caplog):
    with (
        Simulator(http_idle_timeout=0.3, vms_per_pool=1) as sim,
        sim.connect(watch_inventory=False) as vs,
    ):
        for _ in range(3):
            with caplog.at_level(logging.DEBUG, logger="vmware_wrapper"):
                assert vs.vm_info("DC0_H0_VM0").name == "DC0_H0_VM0"
            time.sleep(0.6)  # the server closes the pooled connection meanwhile
        assert "connection closed by" in caplog.text
        assert "unreachable" not in caplog.text
