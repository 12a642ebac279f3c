"""vmw snapshot, guest and tag, read back through plain pyVmomi (and plain REST for tags)."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from tests.cli.conftest import records
from tests.helpers import rest, wait_until

_seq = itertools.count()


@pytest.fixture
def guest_args(cli_sim) -> list[str]:
    """The guest credentials the simulator requires (made at start), as options."""
    return ["--guest-user", cli_sim.guest_username, "--guest-password", cli_sim.guest_password]


def snapshot_names(vm) -> list[str]:
    def walk(nodes, prefix=""):
        for node in nodes or []:
            yield prefix + node.name
            yield from walk(node.childSnapshotList, f"{prefix}{node.name}/")

    return list(walk(vm.snapshot.rootSnapshotList if vm.snapshot else []))


def test_snapshots(vmw, cli_vs, make_vm):
    vm = make_vm()
    result = vmw("--json", "snapshot", "create", vm.name, "before", "--description", "first")
    assert result.code == 0, result.err
    assert result.json()["path"] == "before"
    assert vmw("snapshot", "create", vm.name, "after").out.strip() == "before/after"
    assert snapshot_names(vm) == ["before", "before/after"]
    assert (
        vm.snapshot.currentSnapshot._moId
        == vm.snapshot.rootSnapshotList[0].childSnapshotList[0].snapshot._moId
    )

    listing = vmw("--json", "snapshot", "ls", vm.name)
    assert listing.json() == records(cli_vs.list_snapshots(vm.name))
    table = vmw("snapshot", "ls", vm.name).out.splitlines()
    assert [line.split()[0] for line in table] == ["PATH", "before", "before/after"]

    # Destructive: refused without a terminal or --yes; nothing changes.
    refused = vmw("snapshot", "revert", vm.name, "before")
    assert refused.code == 2
    assert "current state is lost" in refused.err
    assert vm.snapshot.currentSnapshot._moId != vm.snapshot.rootSnapshotList[0].snapshot._moId
    assert vmw("snapshot", "revert", vm.name, "before", "--yes").code == 0
    assert vm.snapshot.currentSnapshot._moId == vm.snapshot.rootSnapshotList[0].snapshot._moId

    assert vmw("snapshot", "rm", vm.name, "before").code == 2
    assert snapshot_names(vm) == ["before", "before/after"]
    assert vmw("snapshot", "rm", vm.name, "before", "--children", "--yes").code == 0
    assert snapshot_names(vm) == []
    missing = vmw("snapshot", "rm", vm.name, "before", "--yes")
    assert missing.code == 3


def test_guest_run_passes_the_exit_status_and_output(vmw, make_vm, guest_args):
    vm = make_vm()
    wait_until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", what="tools")
    result = vmw(
        "guest", "run", vm.name, *guest_args, "--", "sh", "-c", "echo out; echo err >&2; exit 3"
    )
    assert (result.code, result.out, result.err) == (3, "out\n", "err\n")
    result = vmw("guest", "run", vm.name, *guest_args, "--shell", "--", "echo $((6 * 7)) | tr 4 X")
    assert (result.code, result.out) == (0, "X2\n")
    result = vmw("--json", "guest", "run", vm.name, *guest_args, "--", "uname")
    assert result.json() == {"exit_code": 0, "stdout": "Linux\n", "stderr": ""}
    wrong = vmw("guest", "run", vm.name, "--guest-user", "root", "--guest-password", "", "--", "id")
    assert wrong.code == 10
    user = guest_args[1]
    wrong = vmw("guest", "run", vm.name, "--guest-user", user, "--guest-password", "x", "--", "id")
    assert wrong.code == 10


def test_guest_files_both_ways(vmw, cli_sim, make_vm, tmp_path):
    vm = make_vm()
    wait_until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", what="tools")
    local = tmp_path / "site.conf"
    local.write_bytes(os.urandom(100_000))
    second = tmp_path / "b.txt"
    second.write_text("two\n")
    env = {
        "VMWARE_GUEST_USER": cli_sim.guest_username,
        "VMWARE_GUEST_PASSWORD": cli_sim.guest_password,
    }
    result = vmw(
        "guest", "upload", vm.name, str(local), "/tmp/site.conf", str(second), "/tmp/b.txt",
        env=env,
    )  # fmt: skip
    assert result.code == 0, result.err
    # The guest's own file system: the simulator keeps it in a directory per VM.
    sandbox = Path(cli_sim.guest_root, vm._moId)
    assert (sandbox / "tmp" / "site.conf").read_bytes() == local.read_bytes()
    assert (sandbox / "tmp" / "b.txt").read_text() == "two\n"

    copy = tmp_path / "copy.conf"
    result = vmw("guest", "download", vm.name, "/tmp/site.conf", str(copy), env=env)
    assert result.code == 0, result.err
    assert copy.read_bytes() == local.read_bytes()
    assert vmw("guest", "download", vm.name, "/tmp/b.txt", "-", env=env).out == "two\n"
    assert vmw("guest", "download", vm.name, "/tmp/none", "-", env=env).code == 10


def attached(cli_sim, vm) -> list[str]:
    tag_ids = rest(
        cli_sim,
        "POST",
        "/tagging/tag-association?~action=list-attached-tags",
        {"object_id": {"id": vm._moId, "type": "VirtualMachine"}},
    )
    names = []
    for tag_id in tag_ids or []:  # the simulator answers null for none
        tag = rest(cli_sim, "GET", f"/tagging/tag/id:{tag_id}")
        category = rest(cli_sim, "GET", f"/tagging/category/id:{tag['category_id']}")
        names.append(f"{category['name']}/{tag['name']}")
    return sorted(names)


def test_tags(vmw, cli_sim, cli_vs, make_vm):
    a, b = make_vm(), make_vm()
    category = f"env{next(_seq)}"
    result = vmw("tag", "create", f"{category}/prod", "--types", "vm")
    assert result.code == 0, result.err
    assert vmw("tag", "create", f"{category}/dev").code == 0  # the category exists: reused
    assert vmw("tag", "create", "no-category").code == 2

    assert vmw("tag", "attach", f"{category}/prod", a.name, b.name).code == 0
    assert attached(cli_sim, a) == attached(cli_sim, b) == [f"{category}/prod"]
    assert vmw("--json", "tag", "ls", a.name).json() == [f"{category}/prod"]
    assert f"{category}/dev" in vmw("tag", "ls").out.splitlines()
    assert sorted(vmw("--json", "tag", "ls").json()) == sorted(cli_vs.tags.tags())

    result = vmw("tag", "detach", f"{category}/prod", a.name, "no-such-vm")
    assert result.code == 1  # one of two failed
    assert "no-such-vm" in result.err
    assert attached(cli_sim, a) == []
    assert attached(cli_sim, b) == [f"{category}/prod"]
