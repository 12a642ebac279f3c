"""Guest operations without Docker: programs run in a per-VM sandbox, files travel over HTTP."""

from __future__ import annotations

import os
import time
import urllib.request
from pathlib import Path

import pytest
from pyVmomi import vim

from tests.helpers import wait_task, wait_until

GuestAuth = vim.vm.guest.NamePasswordAuthentication
ProgramSpec = vim.vm.guest.ProcessManager.ProgramSpec


@pytest.fixture
def guest(si, vsphere_simulator, fresh_vm):
    return Guest(si, vsphere_simulator, fresh_vm)


class Guest:
    """Guest operations through plain pyVmomi, as a client of the simulator would do them."""

    def __init__(self, si, sim, vm, auth=None):
        self.sim = sim
        self.vm = vm
        # The credentials the simulator made at start: it requires them.
        self.auth = auth or GuestAuth(username=sim.guest_username, password=sim.guest_password)
        self.pm = si.content.guestOperationsManager.processManager
        self.fm = si.content.guestOperationsManager.fileManager

    def start(self, program, arguments="", cwd=None, env=None):
        spec = ProgramSpec(
            programPath=program, arguments=arguments, workingDirectory=cwd, envVariables=env or []
        )
        return self.pm.StartProgramInGuest(self.vm, self.auth, spec)

    def process(self, pid):
        (info,) = self.pm.ListProcessesInGuest(self.vm, self.auth, [pid])
        return info

    def run(self, program, arguments="", **kwargs):
        pid = self.start(program, arguments, **kwargs)
        return wait_until(lambda: (info := self.process(pid)).endTime and info, what="exit")

    def _url(self, url):
        # The URL names the host and port we reached, as vCenter names the VM's host: usable
        # as it is (test_real_clients.py has the clients that put theirs in place of a "*").
        assert url.split("/")[2] == f"{self.sim.host}:{self.sim.port}"
        return url

    def upload(self, data, path, overwrite=False):
        attrs = vim.vm.guest.FileManager.FileAttributes()
        url = self.fm.InitiateFileTransferToGuest(
            self.vm, self.auth, path, attrs, len(data), overwrite
        )
        request = urllib.request.Request(self._url(url), data=data, method="PUT")
        with urllib.request.urlopen(request) as response:
            assert response.status == 200

    def download(self, path):
        info = self.fm.InitiateFileTransferFromGuest(self.vm, self.auth, path)
        with urllib.request.urlopen(self._url(info.url)) as response:
            data = response.read()
        assert len(data) == info.size
        return data


def test_program_exit_code_round_trips(guest):
    assert guest.run("/bin/sh", "-c 'exit 7'").exitCode == 7
    assert guest.run("/bin/true").exitCode == 0
    info = guest.run("/bin/false")
    assert info.exitCode == 1
    assert info.name == "false"
    assert info.owner == guest.sim.guest_username
    assert info.startTime <= info.endTime


def test_arguments_go_through_the_guest_shell(guest):
    # As on a Linux guest with VMware Tools: redirections in the arguments work.
    path = guest.fm.CreateTemporaryFileInGuest(guest.vm, guest.auth, "out", ".txt", None)
    assert guest.run("/bin/echo", f"hello guest > {path}").exitCode == 0
    assert guest.download(path) == b"hello guest\n"


def test_working_directory_and_environment(guest):
    workdir = guest.fm.CreateTemporaryDirectoryInGuest(guest.vm, guest.auth, "work", "", None)
    guest.run(
        "/bin/sh",
        "-c 'pwd > out; echo \"$GREETING\" >> out'",
        cwd=workdir,
        env=["GREETING=hi there"],
    )
    assert guest.download(f"{workdir}/out") == f"{workdir}\nhi there\n".encode()


def test_uploaded_bytes_round_trip(guest):
    data = os.urandom(3 * 1024 * 1024 + 7)
    guest.upload(data, "/tmp/blob.bin")
    assert guest.download("/tmp/blob.bin") == data
    # ... and the guest's programs see the same file.
    assert guest.run("/bin/sh", f"-c 'test $(wc -c < /tmp/blob.bin) -eq {len(data)}'").exitCode == 0


def test_each_vm_has_its_own_sandbox(si, vsphere_simulator, guest, fresh_vm):
    guest.upload(b"mine", "/tmp/owner.txt")
    host_file = Path("/tmp/owner.txt")
    assert not host_file.exists() or host_file.read_bytes() != b"mine"
    sandbox = os.path.join(vsphere_simulator.guest_root, fresh_vm._moId)
    with open(os.path.join(sandbox, "tmp", "owner.txt"), "rb") as f:
        assert f.read() == b"mine"


def test_upload_refuses_to_overwrite_unless_asked(guest):
    guest.upload(b"one", "/tmp/file.txt")
    with pytest.raises(vim.fault.FileAlreadyExists):
        guest.upload(b"two", "/tmp/file.txt")
    guest.upload(b"two", "/tmp/file.txt", overwrite=True)
    assert guest.download("/tmp/file.txt") == b"two"


def test_writes_outside_the_guest_directories_are_denied(guest):
    with pytest.raises(vim.fault.GuestPermissionDenied):
        guest.upload(b"x", "/etc/vmw-sim-test")
    assert not os.path.exists("/etc/vmw-sim-test")


def test_missing_files_and_programs(guest):
    with pytest.raises(vim.fault.FileNotFound) as raised:
        guest.download("/tmp/does-not-exist")
    assert "/tmp/does-not-exist" in raised.value.msg
    with pytest.raises(vim.fault.FileNotFound):
        guest.start("/no/such/program")


def test_directories_and_temporary_files(guest):
    fm, vm, auth = guest.fm, guest.vm, guest.auth
    fm.MakeDirectoryInGuest(vm, auth, "/tmp/a/b/c", True)
    with pytest.raises(vim.fault.FileAlreadyExists):
        fm.MakeDirectoryInGuest(vm, auth, "/tmp/a/b/c", False)
    guest.upload(b"x", "/tmp/a/b/c/f")
    listing = fm.ListFilesInGuest(vm, auth, "/tmp/a/b/c", None, None, None)
    assert [(f.path, f.type, f.size) for f in listing.files] == [("f", "file", 1)]
    with pytest.raises(vim.fault.DirectoryNotEmpty):
        fm.DeleteDirectoryInGuest(vm, auth, "/tmp/a", False)
    fm.DeleteFileInGuest(vm, auth, "/tmp/a/b/c/f")
    fm.DeleteDirectoryInGuest(vm, auth, "/tmp/a", True)
    with pytest.raises(vim.fault.FileNotFound):
        fm.ListFilesInGuest(vm, auth, "/tmp/a", None, None, None)

    temp = fm.CreateTemporaryFileInGuest(vm, auth, "pre-", ".suf", None)
    assert temp.startswith("/tmp/pre-")
    assert temp.endswith(".suf")
    assert guest.download(temp) == b""
    other = fm.CreateTemporaryFileInGuest(vm, auth, "pre-", ".suf", None)
    assert other != temp


def test_terminate_kills_a_running_program(guest):
    pid = guest.start("/bin/sleep", "30")
    assert guest.process(pid).endTime is None
    guest.pm.TerminateProcessInGuest(guest.vm, guest.auth, pid)
    info = wait_until(lambda: (i := guest.process(pid)).endTime and i, what="killed")
    assert info.exitCode == 128 + 9
    with pytest.raises(vim.fault.GuestProcessNotFound):
        guest.pm.TerminateProcessInGuest(guest.vm, guest.auth, pid)


def test_wrong_guest_credentials_are_refused(guest):
    guest.auth = GuestAuth(username=guest.sim.guest_username, password="")
    with pytest.raises(vim.fault.InvalidGuestLogin) as raised:
        guest.start("/bin/true")
    assert "authenticate" in raised.value.msg


def test_required_guest_credentials_are_enforced(tmp_path):
    from tests.helpers import find_vm
    from vmware_wrapper.testing import Simulator

    with Simulator(guest_username="admin", guest_password="s3cret", vms_per_pool=1) as sim:
        assert (sim.guest_username, sim.guest_password) == ("admin", "s3cret")
        si = sim.pyvmomi()
        try:
            vm = find_vm(si, "DC0_H0_VM0")
            good = Guest(si, sim, vm, GuestAuth(username="admin", password="s3cret"))
            assert good.run("/bin/true").exitCode == 0
            bad = Guest(si, sim, vm, GuestAuth(username="admin", password="wrong"))
            with pytest.raises(vim.fault.InvalidGuestLogin):
                bad.start("/bin/true")
        finally:
            si.content.sessionManager.Logout()
            si._stub.DropConnections()


def test_powered_off_vm_refuses_guest_operations(guest):
    wait_task(guest.vm.PowerOff())
    with pytest.raises(vim.fault.InvalidPowerState):
        guest.start("/bin/true")


def test_guest_operations_wait_for_tools(guest):
    wait_task(guest.vm.Reset())
    with pytest.raises(vim.fault.GuestOperationsUnavailable):
        guest.start("/bin/true")
    wait_until(lambda: guest.vm.guest.guestOperationsReady, what="guest operations ready")
    assert guest.run("/bin/true").exitCode == 0


def test_programs_end_when_the_guest_stops(guest):
    pid = guest.start("/bin/sleep", "30")
    wait_task(guest.vm.PowerOff())
    time.sleep(0.1)
    wait_task(guest.vm.PowerOn())
    wait_until(lambda: guest.vm.guest.guestOperationsReady, what="guest operations ready")
    # A new boot: the old process is gone from the guest's list.
    assert guest.pm.ListProcessesInGuest(guest.vm, guest.auth, [pid]) == []
