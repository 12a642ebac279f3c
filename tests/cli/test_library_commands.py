"""vmw library: create, import, ls, deploy, rm, over the TLS simulator of the CLI tests;
checked with plain REST (libraries) and plain pyVmomi (VMs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

from tests.cli.test_ovf_commands import _on_a_terminal
from tests.helpers import all_objects, find_vm, rest, wait_task
from tests.ops.ovf_package import make_ova

NETS = ("--net", "VM Network=VM Network", "--net", "Backend=DC0_DVPG0")


def content(sim: Any, method: str, path: str, body: Any = None) -> Any:
    return rest(sim, method, path, body, under="/rest/com/vmware")


def libraries(sim: Any) -> list[dict[str, Any]]:
    """Every library, by id (the server lists them in no order)."""
    ids = sorted(content(sim, "GET", "/content/library") or [])
    return [content(sim, "GET", f"/content/library/id:{i}") for i in ids]


def item_names(sim: Any, library_id: str) -> list[str]:
    ids = content(sim, "GET", f"/content/library/item?library_id={library_id}") or []
    return sorted(content(sim, "GET", f"/content/library/item/id:{i}")["name"] for i in ids)


@pytest.fixture
def cleanup(cli_sim: Any, cli_si: Any) -> Iterator[str]:
    """The prefix of what a test makes; libraries and VMs with it are removed after."""
    prefix = "cli-lib"
    yield prefix
    for vm in all_objects(cli_si, vim.VirtualMachine):
        if vm.name.startswith(prefix):
            if vm.runtime.powerState != "poweredOff":
                wait_task(vm.PowerOff())
            wait_task(vm.Destroy())
    for lib in libraries(cli_sim):
        if lib["name"].startswith(prefix):
            content(cli_sim, "DELETE", f"/content/local-library/id:{lib['id']}")


def test_create_import_ls_deploy_and_rm(vmw, cli_sim, cli_si, tmp_path: Path, cleanup) -> None:
    ova = make_ova(tmp_path / "app.ova")
    result = vmw("library", "create", "cli-lib", "--datastore", "LocalDS_0")
    assert result.code == 0, result.err
    assert result.err.strip() == "created library cli-lib on LocalDS_0"
    (server,) = [lib for lib in libraries(cli_sim) if lib["name"] == "cli-lib"]

    result = vmw("library", "import", "cli-lib", "app", str(ova))
    assert result.code == 0, result.err
    assert "imported" in result.err
    assert "cli-lib/app" in result.err
    assert item_names(cli_sim, server["id"]) == ["app"]

    result = vmw("library", "ls")
    assert result.code == 0, result.err
    assert any(
        line.split()[:3] == ["cli-lib", "LOCAL", "LocalDS_0"] for line in result.out.splitlines()
    )
    result = vmw("--json", "library", "ls", "cli-lib")
    assert result.code == 0, result.err
    assert [(i["path"], i["type"]) for i in result.json()] == [("cli-lib/app", "ovf")]

    result = vmw(
        "library", "deploy", "cli-lib/app", "cli-lib-vm", "--cluster", "DC0_C0", *NETS, "--power-on"
    )
    assert result.code == 0, result.err
    assert result.out.strip() == "/DC0/vm/cli-lib-vm"
    assert "deployed cli-lib/app as /DC0/vm/cli-lib-vm, powered on" in result.err
    vm = find_vm(cli_si, "cli-lib-vm")
    assert vm.runtime.powerState == "poweredOn"
    assert sorted(n.name for n in vm.network) == ["DC0_DVPG0", "VM Network"]

    result = vmw("library", "rm", "cli-lib/app", "--yes")
    assert result.code == 0, result.err
    assert "deleted item cli-lib/app" in result.err
    assert item_names(cli_sim, server["id"]) == []
    result = vmw("library", "rm", "cli-lib")  # no terminal to ask on, no --yes
    assert result.code == 2
    assert "--yes" in result.err
    assert "cli-lib" in {lib["name"] for lib in libraries(cli_sim)}
    result = vmw("library", "rm", "cli-lib", "--yes")
    assert result.code == 0, result.err
    assert "cli-lib" not in {lib["name"] for lib in libraries(cli_sim)}


def test_an_ambiguous_library_name_is_refused_and_nothing_changes(
    vmw, cli_sim, cli_si, tmp_path: Path, cleanup
) -> None:
    ds = next(d for d in all_objects(cli_si, vim.Datastore) if d.name == "LocalDS_0")
    spec = {
        "name": "cli-lib-twin",
        "type": "LOCAL",
        "storage_backings": [{"type": "DATASTORE", "datastore_id": ds._moId}],
    }
    for _ in range(2):  # another client makes two of a name
        content(cli_sim, "POST", "/content/local-library", {"create_spec": spec})
    before = libraries(cli_sim)
    for args in (
        ("library", "ls", "cli-lib-twin"),
        ("library", "rm", "cli-lib-twin", "--yes"),
        ("library", "import", "cli-lib-twin", "app", str(make_ova(tmp_path / "a.ova"))),
        ("library", "deploy", "cli-lib-twin/app", "cli-lib-vm", "--cluster", "DC0_C0"),
    ):
        result = vmw(*args)
        assert result.code == 4, (args, result.err)
        assert "2 content libraries are named 'cli-lib-twin'" in result.err
    assert libraries(cli_sim) == before


def test_bad_input_exits_2_and_changes_nothing(
    vmw, cli_sim, cli_si, tmp_path: Path, cleanup
) -> None:
    ova = make_ova(tmp_path / "app.ova")
    assert vmw("library", "create", "cli-lib-bad", "--datastore", "LocalDS_0").code == 0
    assert vmw("library", "import", "cli-lib-bad", "app", str(ova)).code == 0
    (server,) = [lib for lib in libraries(cli_sim) if lib["name"] == "cli-lib-bad"]
    vms = {vm.name for vm in all_objects(cli_si, vim.VirtualMachine)}
    deploy = ("deploy", "cli-lib-bad/app", "cli-lib-x", "--cluster", "DC0_C0")
    for args, words in (
        ((*deploy, "--net", "nope"), "--net"),
        ((*deploy, "--net", "F=x"), "no OVF network 'F'"),
        (("import", "cli-lib-bad", "new", str(tmp_path / "none.ova")), "no such file"),
        (("import", "cli-lib-bad", "app", str(ova)), "already exists"),
        (("create", "cli-lib-bad", "--datastore", "LocalDS_0"), "already exists"),
    ):  # fmt: skip
        result = vmw("library", *args)
        assert result.code == 2, (args, result.err)
        assert words in result.err
    assert item_names(cli_sim, server["id"]) == ["app"]
    assert [lib["name"] for lib in libraries(cli_sim)].count("cli-lib-bad") == 1
    assert {vm.name for vm in all_objects(cli_si, vim.VirtualMachine)} == vms
    result = vmw("library", "deploy", "cli-lib-bad/nope", "cli-lib-x", "--cluster", "DC0_C0")
    assert result.code == 3
    assert "no item 'nope'" in result.err


def test_import_shows_a_progress_bar_on_a_terminal(cli_sim, tmp_path: Path, cleanup) -> None:
    ova = make_ova(tmp_path / "app.ova", disk_bytes=8 * 2**20)
    content_ds = "LocalDS_0"
    seen = _on_a_terminal(cli_sim, "library", "create", "cli-lib-bar", "--datastore", content_ds)
    assert "created library cli-lib-bar" in seen
    seen = _on_a_terminal(cli_sim, "library", "import", "cli-lib-bar", "app", str(ova))
    assert "import app" in seen
    assert "%" in seen
    assert "imported" in seen


def test_a_library_item_as_the_source_of_vm_clone(
    vmw, cli_sim, cli_si, tmp_path: Path, cleanup
) -> None:
    one_net = make_ova(tmp_path / "one.ova", networks=("VM Network",))
    assert vmw("library", "create", "cli-lib", "--datastore", "LocalDS_0").code == 0
    assert vmw("library", "import", "cli-lib", "one", str(one_net)).code == 0
    result = vmw(
        "vm", "clone", "cli-lib/one", "cli-lib-clone", "--cluster", "DC0_C0",
        "--cpus", "2", "--power-on",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.strip() == "/DC0/vm/cli-lib-clone"
    assert "cloned cli-lib/one as /DC0/vm/cli-lib-clone: powered on" in result.err
    vm = find_vm(cli_si, "cli-lib-clone")
    assert (vm.config.hardware.numCPU, vm.runtime.powerState) == (2, "poweredOn")
    result = vmw("vm", "clone", "cli-lib/one", "cli-lib-linked", "--linked")
    assert result.code == 2
    assert "a library item is deployed, not cloned" in result.err
