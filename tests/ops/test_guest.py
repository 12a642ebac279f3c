"""Guest operations through the library, checked against the guest's sandbox and plain reads."""

from __future__ import annotations

import os

import pytest

from tests.helpers import wait_task, wait_until
from vmware_wrapper import GuestAuthenticationError, GuestOperationError, OperationTimeout


@pytest.fixture
def guest(vsphere, fresh_vm, vsphere_simulator):
    return vsphere.guest(fresh_vm.name, *credentials(vsphere_simulator))


def credentials(sim):
    """The guest credentials the simulator requires (made at start)."""
    return sim.guest_username, sim.guest_password


@pytest.fixture(autouse=True)
def _clean(vsphere_simulator):
    yield
    vsphere_simulator.clear_faults()


def test_exit_code_stdout_and_stderr_of_a_real_program(guest):
    result = guest.run("/bin/sh", "-c 'echo to out; echo to err >&2; exit 5'")
    assert (result.exit_code, result.stdout, result.stderr) == (5, "to out\n", "to err\n")
    assert not result.ok
    assert guest.run("/bin/true").ok


def test_a_bare_program_name_is_found_on_the_guests_path(guest):
    # The tools reject relative program paths; the library looks bare names up with env(1).
    result = guest.run("echo", "'two  spaces' $HOME")
    assert result.stdout.startswith("two  spaces /")
    started = [p for p in guest.processes() if "two  spaces" in p.command]
    assert started
    assert started[-1].name == "env"


def test_shell_working_directory_and_environment(guest):
    workdir = guest.mkdtemp(prefix="work-")
    result = guest.run(
        'pwd; echo "$GREETING" | tr a-z A-Z', shell=True, cwd=workdir, env={"GREETING": "hello"}
    )
    assert result.stdout == f"{workdir}\nHELLO\n"


def test_output_temp_files_are_cleaned_up(guest, vsphere_simulator, fresh_vm):
    guest.run("/bin/true")
    leftovers = [n for n in guest.listdir("/tmp") if n.startswith("vmw-")]
    assert leftovers == []


def test_a_binary_file_of_several_mb_round_trips(guest, tmp_path):
    data = os.urandom(6 * 1024 * 1024 + 123)
    guest.upload(data, "/tmp/payload.bin")
    assert guest.download("/tmp/payload.bin") == data
    local = tmp_path / "local.bin"
    local.write_bytes(data[::-1])
    guest.upload(local, "/tmp/payload.bin")  # a local file, streamed; overwrites
    copy = tmp_path / "copy.bin"
    guest.download("/tmp/payload.bin", to=copy)
    assert copy.read_bytes() == data[::-1]
    assert guest.run("/bin/sh", f"-c 'test $(wc -c < /tmp/payload.bin) -eq {len(data)}'").ok


def test_directories_and_temp_files(guest):
    guest.mkdir("/tmp/a/b/c")
    guest.upload(b"x", "/tmp/a/b/c/file")
    assert guest.listdir("/tmp/a/b/c") == ["file"]
    guest.remove("/tmp/a/b/c/file")
    assert guest.listdir("/tmp/a/b/c") == []
    with pytest.raises(GuestOperationError, match="not empty"):
        guest.rmdir("/tmp/a")
    guest.rmdir("/tmp/a", recursive=True)
    with pytest.raises(GuestOperationError, match="not found"):
        guest.listdir("/tmp/a")
    temp = guest.mktemp(prefix="t-", suffix=".txt")
    assert temp.startswith("/tmp/t-")
    assert guest.download(temp) == b""


@pytest.mark.timeout(30)  # well short of the program's 60 s: waiting for it fails here
def test_a_program_that_outlives_its_timeout_is_killed(guest):
    with pytest.raises(OperationTimeout, match="killed"):
        guest.run("/bin/sleep", "60", timeout=1)
    (process,) = [p for p in guest.processes() if p.name == "sleep"]
    # Termination is asynchronous in the guest, as with real tools: the kill was sent.
    ended = wait_until(lambda: guest.processes([process.pid])[0].ended, what="the kill")
    assert ended
    assert guest.processes([process.pid])[0].exit_code == 137


def test_processes_can_be_listed_and_killed(guest):
    pid = guest.start("/bin/sleep", "60")
    (process,) = guest.processes([pid])
    assert (process.pid, process.ended, process.exit_code) == (pid, None, None)
    guest.kill(pid)
    wait_until(lambda: guest.processes([pid])[0].ended, what="the kill")
    assert guest.processes([pid])[0].exit_code == 137


def test_wrong_credentials(vsphere, fresh_vm, vsphere_simulator):
    for user, password in [
        ("root", ""),
        (vsphere_simulator.guest_username, "wrong"),
        ("root", vsphere_simulator.guest_password),
    ]:
        guest = vsphere.guest(fresh_vm.name, user, password)
        with pytest.raises(GuestAuthenticationError, match="authenticate"):
            guest.run("/bin/true")


def test_a_powered_off_vm(vsphere, fresh_vm, vsphere_simulator):
    vsphere.power_off(fresh_vm.name)
    with pytest.raises(GuestOperationError, match="poweredOff"):
        vsphere.guest(fresh_vm.name, *credentials(vsphere_simulator)).run("/bin/true")


def test_tools_not_running_yet_are_waited_for(vsphere, fresh_vm, vsphere_simulator):
    wait_task(fresh_vm.Reset())  # tools start 0.3 s later
    assert vsphere.guest(fresh_vm.name, *credentials(vsphere_simulator)).run("/bin/true").ok


def test_tools_that_never_run_give_a_clear_error(vsphere, fresh_vm, vsphere_simulator):
    vsphere_simulator.configure(tools_delay=60)
    try:
        wait_task(fresh_vm.Reset())
        guest = vsphere.guest(fresh_vm.name, *credentials(vsphere_simulator), ready_timeout=1)
        with pytest.raises(GuestOperationError, match="Tools are not running"):
            guest.run("/bin/true")
    finally:
        vsphere_simulator.configure(tools_delay=0.3)


@pytest.mark.parametrize("method", ["StartProgramInGuest", "InitiateFileTransferToGuest"])
def test_guest_operations_unavailable_is_retried(guest, vsphere_simulator, method):
    vsphere_simulator.inject_fault(method, "GuestOperationsUnavailable", count=2)
    if method == "StartProgramInGuest":
        assert guest.run("/bin/true").ok
    else:
        guest.upload(b"ok", "/tmp/retried")
        assert guest.download("/tmp/retried") == b"ok"
    assert vsphere_simulator.pending_faults() == []


def test_a_persistent_guest_fault_is_reported(vsphere, fresh_vm, vsphere_simulator):
    vsphere_simulator.inject_fault(
        "StartProgramInGuest", "GuestOperationsUnavailable", count=1000, message="agent gone"
    )
    guest = vsphere.guest(fresh_vm.name, *credentials(vsphere_simulator), ready_timeout=1)
    with pytest.raises(GuestOperationError, match="agent gone"):
        guest.run("/bin/true")


def test_the_password_is_not_shown(vsphere, fresh_vm):
    guest = vsphere.guest(fresh_vm.name, "root", "hunter2")
    assert "hunter2" not in repr(guest)
