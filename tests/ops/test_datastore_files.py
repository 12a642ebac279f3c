"""Files on datastores: list, make folders, upload, download, delete. Every result is read
back from the server independently: the datastore browser and FileManager through plain
pyVmomi, file contents over plain HTTP with a pyVmomi session's cookie."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import itertools
import os
import ssl
import tracemalloc
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, plain_pyvmomi, wait_task
from vmware_wrapper import (
    AmbiguousNameError,
    AuthenticationError,
    DatastoreFile,
    InvalidInputError,
    NotFoundError,
    VSphereError,
)
from vmware_wrapper._transport.datastore_http import folder_url, get_file
from vmware_wrapper.testing import Simulator

DS = "LocalDS_0"
MB = 2**20
_seq = itertools.count()

# The methods that change a datastore's files, or read its folders before a change.
CHANGING = ("SearchDatastore_Task", "MoveDatastoreFile_Task", "DeleteDatastoreFile_Task")


# -- reading the server back, without the library ------------------------------------------


def _datastore(si: Any, name: str = DS) -> Any:
    return next(d for d in all_objects(si, vim.Datastore) if d.name == name)


def _datacenter(si: Any) -> Any:
    return next(d for d in all_objects(si, vim.Datacenter) if d.name == "DC0")


def server_ls(si: Any, folder: str) -> dict[str, tuple[bool, int]]:
    """{name: (is a folder, size)} of a folder ("" for the top), as the browser lists it;
    raises vim.fault.FileNotFound if there is no such folder."""
    details = vim.host.DatastoreBrowser.FileInfo.Details(
        fileType=True, fileSize=True, modification=True, fileOwner=False
    )
    spec = vim.host.DatastoreBrowser.SearchSpec(matchPattern=["*"], details=details)
    task = _datastore(si).browser.SearchDatastore_Task(f"[{DS}] {folder}".rstrip(), spec)
    result = wait_task(task)
    listed = {}
    for f in result.file or []:
        is_dir = isinstance(f, vim.host.DatastoreBrowser.FolderInfo)
        listed[f.path] = (is_dir, 0 if is_dir else int(f.fileSize or 0))  # a folder's: no size
    return listed


def _http(sim: Any, si: Any, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
    """A plain HTTP request to /folder with the pyVmomi session's cookie."""
    connection: http.client.HTTPConnection
    if sim.protocol == "https":
        context = ssl.create_default_context(cafile=sim.ca_file)
        context.check_hostname = False
        connection = http.client.HTTPSConnection(sim.host, sim.port, context=context)
    else:
        connection = http.client.HTTPConnection(sim.host, sim.port)
    query = urllib.parse.urlencode({"dcPath": "/DC0", "dsName": DS})
    target = f"/folder/{urllib.parse.quote(path)}?{query}"
    try:
        connection.request(method, target, body=body, headers={"Cookie": si._stub.cookie})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def server_read(sim: Any, si: Any, path: str) -> bytes:
    status, data = _http(sim, si, "GET", path)
    assert status == 200, (status, data[:200])
    return data


def server_write(sim: Any, si: Any, path: str, data: bytes) -> None:
    status, answer = _http(sim, si, "PUT", path, data)
    assert status in (200, 201), (status, answer[:200])


def server_mkdir(si: Any, path: str) -> None:
    si.content.fileManager.MakeDirectory(
        name=f"[{DS}] {path}", datacenter=_datacenter(si), createParentDirectories=True
    )


def server_rm(si: Any, path: str) -> None:
    task = si.content.fileManager.DeleteDatastoreFile_Task(
        name=f"[{DS}] {path}", datacenter=_datacenter(si)
    )
    with contextlib.suppress(vim.fault.FileNotFound):  # the test removed it
        wait_task(task)


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(4 * MB):
            sha.update(chunk)
    return sha.hexdigest()


@pytest.fixture
def folder(si: Any) -> Iterator[str]:
    """A new, empty folder at the top of LocalDS_0 (made with plain pyVmomi), removed after
    the test with everything in it."""
    name = f"dsfiles-{next(_seq)}"
    server_mkdir(si, name)
    yield name
    server_rm(si, name)


def _interrupt_at(percent: int) -> Callable[[int], None]:
    def on_progress(done: int) -> None:
        if done >= percent:
            raise KeyboardInterrupt  # as Ctrl-C arrives: not an Exception

    return on_progress


def _sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes almost no room: marks at its start, middle and
    end (a byte out of place shows), holes between."""
    with path.open("wb") as f:
        for offset in (0, size // 2, size - 64):
            f.seek(offset)
            f.write(hashlib.sha256(str(offset).encode()).hexdigest().encode())
    return path


# -- listing -----------------------------------------------------------------------------------


def test_lists_a_folder_as_the_browser_sees_it(
    vsphere: Any, sim_and_si: tuple[Any, Any], folder: str
) -> None:
    sim, si = sim_and_si
    server_mkdir(si, f"{folder}/sub")
    server_write(sim, si, f"{folder}/a.txt", b"hello")
    files = vsphere.datastore_files(DS, folder)
    assert [f.name for f in files] == ["sub", "a.txt"]  # folders first
    sub, text = files
    assert sub == DatastoreFile("sub", f"[{DS}] {folder}/sub", 0, sub.modified, True)
    assert text.path == f"[{DS}] {folder}/a.txt"
    assert (text.size, text.is_dir) == (5, False)
    assert text.modified is not None
    assert text.modified.endswith("+00:00")
    assert {f.name: (f.is_dir, f.size) for f in files} == server_ls(si, folder)
    # The top of the datastore, by the datastore's inventory path.
    top = vsphere.datastore_files(f"/DC0/datastore/{DS}")
    assert {f.name for f in top} == set(server_ls(si, ""))


def test_a_missing_folder_is_named(vsphere: Any, folder: str) -> None:
    with pytest.raises(NotFoundError, match=rf"no folder \[{DS}\] {folder}/nope"):
        vsphere.datastore_files(DS, f"{folder}/nope")
    with pytest.raises(NotFoundError, match="nope-ds"):
        vsphere.datastore_files("nope-ds")


def test_a_file_is_not_listed_as_a_folder(
    vsphere: Any, sim_and_si: tuple[Any, Any], folder: str
) -> None:
    sim, si = sim_and_si
    server_write(sim, si, f"{folder}/f.bin", b"x")
    with pytest.raises(InvalidInputError, match="is a file, not a folder"):
        vsphere.datastore_files(DS, f"{folder}/f.bin")


# -- folders -----------------------------------------------------------------------------------


def test_make_directory_makes_the_parents_and_takes_an_existing_one(
    vsphere: Any, si: Any, folder: str
) -> None:
    vsphere.make_directory(f"[{DS}] {folder}/a/b/c")
    assert server_ls(si, folder) == {"a": (True, 0)}
    assert server_ls(si, f"{folder}/a/b") == {"c": (True, 0)}
    vsphere.make_directory(f"[{DS}] {folder}/a/b/c")  # there already: no error
    assert server_ls(si, f"{folder}/a/b/c") == {}


def test_delete_a_file_and_a_folder_with_what_it_holds(
    vsphere: Any, sim_and_si: tuple[Any, Any], folder: str
) -> None:
    sim, si = sim_and_si
    server_mkdir(si, f"{folder}/full/inner")
    server_write(sim, si, f"{folder}/full/inner/x", b"x")
    server_write(sim, si, f"{folder}/file", b"y")
    vsphere.delete_file(f"[{DS}] {folder}/file")
    assert server_ls(si, folder) == {"full": (True, 0)}
    vsphere.delete_file(f"[{DS}] {folder}/full")
    assert server_ls(si, folder) == {}
    with pytest.raises(NotFoundError, match=rf"\[{DS}\] {folder}/full"):
        vsphere.delete_file(f"[{DS}] {folder}/full")


# -- transfers ---------------------------------------------------------------------------------


def test_upload_then_download_round_trips_byte_for_byte(
    vsphere: Any, sim_and_si: tuple[Any, Any], folder: str, tmp_path: Path
) -> None:
    sim, si = sim_and_si
    data = os.urandom(3 * MB + 123)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    percents: list[int] = []
    vsphere.upload_file(source, f"[{DS}] {folder}/copy.bin", on_progress=percents.append)
    assert (percents[0], percents[-1]) == (0, 100)
    assert percents == sorted(set(percents))
    assert server_ls(si, folder) == {"copy.bin": (False, len(data))}  # no temporary left
    assert server_read(sim, si, f"{folder}/copy.bin") == data

    target = tmp_path / "back.bin"
    percents.clear()
    vsphere.download_file(f"[{DS}] {folder}/copy.bin", str(target), on_progress=percents.append)
    assert target.read_bytes() == data
    assert (percents[0], percents[-1]) == (0, 100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["back.bin", "source.bin"]


def test_existing_files_are_replaced_only_with_overwrite(
    vsphere: Any, sim_and_si: tuple[Any, Any], folder: str, tmp_path: Path
) -> None:
    sim, si = sim_and_si
    server_write(sim, si, f"{folder}/f.txt", b"old on the server")
    local = tmp_path / "f.txt"
    local.write_bytes(b"new")
    with pytest.raises(InvalidInputError, match=rf"\[{DS}\] {folder}/f.txt already exists"):
        vsphere.upload_file(local, f"[{DS}] {folder}/f.txt")
    assert server_read(sim, si, f"{folder}/f.txt") == b"old on the server"
    vsphere.upload_file(local, f"[{DS}] {folder}/f.txt", overwrite=True)
    assert server_read(sim, si, f"{folder}/f.txt") == b"new"
    assert server_ls(si, folder) == {"f.txt": (False, 3)}

    local.write_bytes(b"kept locally")
    with pytest.raises(InvalidInputError, match=f"{local}' already exists"):
        vsphere.download_file(f"[{DS}] {folder}/f.txt", local)
    assert local.read_bytes() == b"kept locally"
    vsphere.download_file(f"[{DS}] {folder}/f.txt", local, overwrite=True)
    assert local.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_an_interrupted_download_leaves_no_local_file(
    vsphere: Any, sim_and_si: tuple[Any, Any], folder: str, tmp_path: Path
) -> None:
    sim, si = sim_and_si
    server_write(sim, si, f"{folder}/big.bin", os.urandom(8 * MB))
    with pytest.raises(KeyboardInterrupt):
        vsphere.download_file(
            f"[{DS}] {folder}/big.bin", tmp_path / "big.bin", on_progress=_interrupt_at(50)
        )
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_upload_leaves_no_datastore_file(
    vsphere: Any, si: Any, vsphere_simulator: Any, folder: str, tmp_path: Path
) -> None:
    # Large enough that half of it is more than the connection's buffers hold: the server
    # has begun writing the file when the upload stops.
    source = _sparse(tmp_path / "big.bin", 64 * MB)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(KeyboardInterrupt):
        vsphere.upload_file(source, f"[{DS}] {folder}/big.bin", on_progress=_interrupt_at(50))
    assert server_ls(si, folder) == {}
    calls = vsphere_simulator.call_counts()
    assert "MoveDatastoreFile_Task" not in calls
    assert calls.get("DeleteDatastoreFile_Task") == 1  # what had arrived, removed


def test_a_failed_upload_leaves_no_datastore_file(
    vsphere: Any, si: Any, vsphere_simulator: Any, folder: str, tmp_path: Path
) -> None:
    source = tmp_path / "f.bin"
    source.write_bytes(b"x" * 1000)
    vsphere_simulator.inject_fault("MoveDatastoreFile_Task", "SystemError", count=1)
    try:
        with pytest.raises(VSphereError, match=rf"upload .* to \[{DS}\] {folder}/f.bin"):
            vsphere.upload_file(source, f"[{DS}] {folder}/f.bin")
    finally:
        vsphere_simulator.clear_faults()
    assert server_ls(si, folder) == {}


def test_a_large_round_trip_streams_in_bounded_memory(
    vsphere: Any, sim_and_si: tuple[Any, Any], folder: str, tmp_path: Path
) -> None:
    _, si = sim_and_si
    size = 200 * MB
    source = _sparse(tmp_path / "big.bin", size)
    target = tmp_path / "back.bin"
    tracemalloc.start()
    try:
        vsphere.upload_file(source, f"[{DS}] {folder}/big.bin")
        _, up_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        vsphere.download_file(f"[{DS}] {folder}/big.bin", target)
        _, down_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert server_ls(si, folder) == {"big.bin": (False, size)}
    assert target.stat().st_size == size
    assert digest(target) == digest(source)
    assert up_peak < 8 * MB, f"upload: peak {up_peak / MB:.1f} MB for a 200 MB file"
    assert down_peak < 8 * MB, f"download: peak {down_peak / MB:.1f} MB for a 200 MB file"


# -- bad input: named, and nothing sent --------------------------------------------------------


@pytest.mark.parametrize(
    ("datastore_path", "named"),
    [
        ("LocalDS_0 dir/f", "'LocalDS_0 dir/f'"),  # no brackets
        ("[LocalDS_0]", "names the datastore itself"),
        ("[] dir/f", "'\\[\\] dir/f'"),
        ("[LocalDS_0] /abs", "no leading '/'"),
        ("[LocalDS_0] a/../b", "'\\[LocalDS_0\\] a/../b'"),
        ("[LocalDS_0] a//b", "'\\[LocalDS_0\\] a//b'"),
        ("[LocalDS_0] a\tb", "control characters"),
        ("[LocalDS_0] a\x07b", "U\\+0007"),
        (Path("[LocalDS_0] f"), "text like"),
    ],
)
def test_bad_datastore_paths_are_named_before_anything_is_sent(
    vsphere: Any, vsphere_simulator: Any, tmp_path: Path, datastore_path: Any, named: str
) -> None:
    local = tmp_path / "f"
    local.write_bytes(b"x")
    vsphere.datastore_files(DS)  # connected, the index read
    vsphere_simulator.reset_call_counts()
    for call in (
        lambda: vsphere.upload_file(local, datastore_path),
        lambda: vsphere.download_file(datastore_path, tmp_path / "g"),
        lambda: vsphere.delete_file(datastore_path),
        lambda: vsphere.make_directory(datastore_path),
    ):
        with pytest.raises(InvalidInputError, match=named):
            call()
    calls = vsphere_simulator.call_counts()
    assert not set(calls) & {*CHANGING, "MakeDirectory"}, calls
    assert not (tmp_path / "g").exists()


def test_bad_local_files_are_named_before_anything_is_sent(
    vsphere: Any, si: Any, vsphere_simulator: Any, folder: str, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.bin"
    vsphere.datastore_files(DS)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match=f"'{missing}': no such file"):
        vsphere.upload_file(missing, f"[{DS}] {folder}/x")
    with pytest.raises(InvalidInputError, match=f"'{tmp_path}' is not a file"):
        vsphere.upload_file(tmp_path, f"[{DS}] {folder}/x")
    with pytest.raises(InvalidInputError, match=f"'{tmp_path}' is a directory"):
        vsphere.download_file(f"[{DS}] {folder}/x", tmp_path)
    nowhere = tmp_path / "no-dir" / "x"
    with pytest.raises(InvalidInputError, match=f"no local directory '{nowhere.parent}'"):
        vsphere.download_file(f"[{DS}] {folder}/x", nowhere)
    with pytest.raises(InvalidInputError, match="overwrite='yes'"):
        vsphere.upload_file(tmp_path, f"[{DS}] {folder}/x", overwrite="yes")
    calls = vsphere_simulator.call_counts()
    assert not set(calls) & {*CHANGING, "MakeDirectory"}, calls
    assert server_ls(si, folder) == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_missing_files_and_folders_are_named(
    vsphere: Any, si: Any, vsphere_simulator: Any, folder: str, tmp_path: Path
) -> None:
    local = tmp_path / "f"
    local.write_bytes(b"x")
    with pytest.raises(NotFoundError, match=rf"no folder \[{DS}\] {folder}/none"):
        vsphere.upload_file(local, f"[{DS}] {folder}/none/f")
    with pytest.raises(NotFoundError, match=rf"no file \[{DS}\] {folder}/f"):
        vsphere.download_file(f"[{DS}] {folder}/f", tmp_path / "g")
    with pytest.raises(NotFoundError, match="no-such-ds"):
        vsphere.upload_file(local, "[no-such-ds] f")
    server_mkdir(si, f"{folder}/d")
    with pytest.raises(InvalidInputError, match=rf"\[{DS}\] {folder}/d is a folder"):
        vsphere.upload_file(local, f"[{DS}] {folder}/d")
    with pytest.raises(InvalidInputError, match=rf"\[{DS}\] {folder}/d is a folder"):
        vsphere.download_file(f"[{DS}] {folder}/d", tmp_path / "g")
    assert server_ls(si, folder) == {"d": (True, 0)}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_http_errors_become_the_librarys_errors(vsphere: Any, folder: str, tmp_path: Path) -> None:
    connector = vsphere._session.http
    url = folder_url(connector, "/DC0", DS, f"{folder}/none")
    with (tmp_path / "sink").open("wb") as sink:
        with pytest.raises(AuthenticationError, match="download it: HTTP 401"):
            get_file(connector, url, "", sink, received=lambda n: None, what="download it")
        cookie = vsphere._session.stub.soap_stub.cookie
        with pytest.raises(NotFoundError, match="download it: HTTP 404"):
            get_file(connector, url, cookie, sink, received=lambda n: None, what="download it")


@pytest.fixture(scope="module")
def twin_datastores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list[Path]]]:
    """A simulator of its own (what is made here cannot all be removed again: v0.56 removes
    no standalone host) with two datastores named LocalDS_0: DC0's and one in a second
    datacenter, made with plain pyVmomi. The simulator, and the local directories of both
    datastores, each holding a file "keep"."""
    with Simulator() as sim, plain_pyvmomi(sim) as si:
        datacenter = si.content.rootFolder.CreateDatacenter("DC1")
        spec = vim.host.ConnectSpec(hostName="dc1-host.example", userName="root", force=True)
        wait_task(datacenter.hostFolder.AddStandaloneHost_Task(spec=spec, addConnected=True))
        host = next(h for h in all_objects(si, vim.HostSystem) if h.name == spec.hostName)
        root = tmp_path_factory.mktemp("twin")
        twin = host.configManager.datastoreSystem.CreateLocalDatastore(DS, str(root))
        ours = next(d for d in all_objects(si, vim.Datastore) if d != twin)
        roots = [Path(ours.info.url), root]
        for directory in roots:
            (directory / "keep").write_bytes(b"kept")
        yield sim, roots


def test_an_ambiguous_datastore_changes_nothing(
    twin_datastores: tuple[Any, list[Path]], tmp_path: Path
) -> None:
    sim, roots = twin_datastores
    before = [sorted(p.name for p in root.iterdir()) for root in roots]
    local = tmp_path / "f"
    local.write_bytes(b"x")
    with sim.connect() as vsphere:
        vsphere.datastore_files(f"/DC1/datastore/{DS}")  # connected, the index read
        sim.reset_call_counts()
        for call in (
            lambda: vsphere.delete_file(f"[{DS}] keep"),
            lambda: vsphere.make_directory(f"[{DS}] new"),
            lambda: vsphere.upload_file(local, f"[{DS}] f"),
            lambda: vsphere.download_file(f"[{DS}] keep", tmp_path / "g"),
        ):
            with pytest.raises(AmbiguousNameError, match=DS):
                call()
        calls = sim.call_counts()
        # An inventory path says which one.
        files = vsphere.datastore_files(f"/DC1/datastore/{DS}")
    assert not set(calls) & {*CHANGING, "MakeDirectory"}, calls
    assert [sorted(p.name for p in root.iterdir()) for root in roots] == before
    assert "keep" in before[0]
    assert [f.name for f in files] == ["keep"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


@pytest.fixture
def sim_and_si(vsphere_simulator: Any, si: Any) -> tuple[Any, Any]:
    return vsphere_simulator, si
