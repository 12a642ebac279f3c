"""vmw datastore: ls, mkdir, upload, download, rm, over the TLS simulator of the CLI tests.
What each command did is read back with plain pyVmomi (the datastore browser, FileManager)
and plain HTTP with a pyVmomi session's cookie."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import pty
import ssl
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

from tests.cli.conftest import VMW
from tests.helpers import all_objects, wait_task

DS = "LocalDS_0"
_seq = itertools.count()


def _datacenter(si: Any) -> Any:
    return next(d for d in all_objects(si, vim.Datacenter) if d.name == "DC0")


def server_ls(si: Any, folder: str) -> dict[str, tuple[bool, int]]:
    """{name: (is a folder, size)} of a folder, as the datastore browser lists it."""
    ds = next(d for d in all_objects(si, vim.Datastore) if d.name == DS)
    details = vim.host.DatastoreBrowser.FileInfo.Details(
        fileType=True, fileSize=True, modification=True, fileOwner=False
    )
    spec = vim.host.DatastoreBrowser.SearchSpec(matchPattern=["*"], details=details)
    result = wait_task(ds.browser.SearchDatastore_Task(f"[{DS}] {folder}".rstrip(), spec))
    listed = {}
    for f in result.file or []:
        is_dir = isinstance(f, vim.host.DatastoreBrowser.FolderInfo)
        listed[f.path] = (is_dir, 0 if is_dir else int(f.fileSize or 0))
    return listed


def server_file(sim: Any, si: Any, path: str, data: bytes | None = None) -> bytes:
    """GET a datastore file's bytes, or PUT ``data`` into it, over plain HTTP."""
    context = ssl.create_default_context(cafile=sim.ca_file)
    context.check_hostname = False
    connection = http.client.HTTPSConnection(sim.host, sim.port, context=context)
    query = urllib.parse.urlencode({"dcPath": "/DC0", "dsName": DS})
    method = "GET" if data is None else "PUT"
    try:
        connection.request(
            method,
            f"/folder/{urllib.parse.quote(path)}?{query}",
            body=data,
            headers={"Cookie": si._stub.cookie},
        )
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status in (200, 201), (response.status, body[:200])
    return body


@pytest.fixture
def folder(cli_si: Any) -> Iterator[str]:
    """A new, empty folder at the top of LocalDS_0, removed after the test."""
    name = f"cli-ds-{next(_seq)}"
    manager = cli_si.content.fileManager
    manager.MakeDirectory(f"[{DS}] {name}", _datacenter(cli_si), True)
    yield name
    with contextlib.suppress(vim.fault.FileNotFound):  # the test removed it
        wait_task(manager.DeleteDatastoreFile_Task(f"[{DS}] {name}", _datacenter(cli_si)))


def test_ls_lists_a_folder_with_folders_marked(vmw, cli_sim, cli_si, folder) -> None:
    cli_si.content.fileManager.MakeDirectory(f"[{DS}] {folder}/sub", _datacenter(cli_si), True)
    server_file(cli_sim, cli_si, f"{folder}/a.txt", b"x" * 2048)
    result = vmw("datastore", "ls", DS, folder)
    assert result.code == 0, result.err
    lines = [line.split() for line in result.out.splitlines()]
    assert lines[0] == ["NAME", "SIZE", "MODIFIED"]
    assert [line[0] for line in lines[1:]] == ["sub/", "a.txt"]
    assert lines[2][1:3] == ["2.0", "KB"]
    # The same folder as '[ds] path', and as JSON: exact sizes, ISO 8601 times.
    result = vmw("--json", "datastore", "ls", f"[{DS}] {folder}")
    assert result.code == 0, result.err
    records = result.json()
    assert {r["name"]: (r["is_dir"], r["size"]) for r in records} == server_ls(cli_si, folder)
    assert records[1]["path"] == f"[{DS}] {folder}/a.txt"
    assert records[1]["modified"].endswith("+00:00")


def test_ls_names_a_missing_folder(vmw, folder) -> None:
    result = vmw("datastore", "ls", DS, f"{folder}/nope")
    assert result.code == 3  # not found
    assert f"no folder [{DS}] {folder}/nope" in result.err


def test_mkdir_upload_download_round_trip(vmw, cli_sim, cli_si, folder, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    local = tmp_path / "data.bin"
    local.write_bytes(data)

    result = vmw("datastore", "mkdir", f"[{DS}] {folder}/a/b")
    assert result.code == 0, result.err
    assert f"made folder [{DS}] {folder}/a/b" in result.err
    assert server_ls(cli_si, f"{folder}/a") == {"b": (True, 0)}

    result = vmw("datastore", "upload", str(local), f"[{DS}] {folder}/a/b/")  # into the folder
    assert result.code == 0, result.err
    assert f"uploaded {local} to [{DS}] {folder}/a/b/data.bin" in result.err
    assert server_file(cli_sim, cli_si, f"{folder}/a/b/data.bin") == data

    back = tmp_path / "back"
    back.mkdir()
    result = vmw("datastore", "download", f"[{DS}] {folder}/a/b/data.bin", str(back))
    assert result.code == 0, result.err
    assert f"downloaded [{DS}] {folder}/a/b/data.bin to {back / 'data.bin'}" in result.err
    assert (back / "data.bin").read_bytes() == data


def test_upload_and_download_replace_only_with_overwrite(
    vmw, cli_sim, cli_si, folder, tmp_path: Path
) -> None:
    server_file(cli_sim, cli_si, f"{folder}/f.txt", b"on the server")
    local = tmp_path / "f.txt"
    local.write_bytes(b"local")
    result = vmw("datastore", "upload", str(local), f"[{DS}] {folder}/f.txt")
    assert result.code == 2
    assert "already exists (--overwrite replaces it)" in result.err
    assert server_file(cli_sim, cli_si, f"{folder}/f.txt") == b"on the server"
    result = vmw("datastore", "download", f"[{DS}] {folder}/f.txt", str(local))
    assert result.code == 2
    assert "already exists (--overwrite replaces it)" in result.err
    assert local.read_bytes() == b"local"

    result = vmw("datastore", "upload", str(local), f"[{DS}] {folder}/f.txt", "--overwrite")
    assert result.code == 0, result.err
    assert server_file(cli_sim, cli_si, f"{folder}/f.txt") == b"local"
    server_file(cli_sim, cli_si, f"{folder}/f.txt", b"changed")
    result = vmw("datastore", "download", f"[{DS}] {folder}/f.txt", str(local), "--overwrite")
    assert result.code == 0, result.err
    assert local.read_bytes() == b"changed"
    assert server_ls(cli_si, folder) == {"f.txt": (False, 7)}


def test_rm_asks_first_and_says_what_it_deleted(vmw, cli_sim, cli_si, folder) -> None:
    cli_si.content.fileManager.MakeDirectory(f"[{DS}] {folder}/d/e", _datacenter(cli_si), True)
    server_file(cli_sim, cli_si, f"{folder}/d/x", b"x")
    server_file(cli_sim, cli_si, f"{folder}/f", b"12345")
    result = vmw("datastore", "rm", f"[{DS}] {folder}/d")  # no terminal to ask on
    assert result.code == 2
    assert f"delete folder [{DS}] {folder}/d and everything in it (2 entries)" in result.err
    assert "nothing done" in result.err
    assert set(server_ls(cli_si, folder)) == {"d", "f"}

    result = vmw("datastore", "rm", f"[{DS}] {folder}/d", "--yes")
    assert result.code == 0, result.err
    assert f"deleted folder [{DS}] {folder}/d" in result.err
    result = vmw("datastore", "rm", f"[{DS}] {folder}/f", "--yes")
    assert result.code == 0, result.err
    assert f"deleted file [{DS}] {folder}/f (5 B)" in result.err
    assert server_ls(cli_si, folder) == {}

    result = vmw("datastore", "rm", f"[{DS}] {folder}/f", "--yes")
    assert result.code == 3
    assert f"no file or folder [{DS}] {folder}/f" in result.err


def test_bad_input_is_named_and_nothing_is_done(vmw, cli_si, folder, tmp_path: Path) -> None:
    local = tmp_path / "f"
    local.write_bytes(b"x")
    result = vmw("datastore", "upload", str(local), f"{DS} {folder}/f")  # no brackets
    assert result.code == 2
    assert f"'{DS} {folder}/f': not in the form '[datastore] dir/name'" in result.err
    result = vmw("datastore", "upload", str(tmp_path / "none"), f"[{DS}] {folder}/f")
    assert result.code == 2
    assert f"'{tmp_path / 'none'}': no such file" in result.err
    result = vmw("datastore", "download", f"[{DS}] {folder}/../f", str(tmp_path / "g"))
    assert result.code == 2
    assert f"'[{DS}] {folder}/../f'" in result.err
    result = vmw("datastore", "mkdir", f"[{DS}]")
    assert result.code == 2
    assert "names the datastore itself" in result.err
    assert server_ls(cli_si, folder) == {}
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def _on_a_terminal(cli_sim: Any, *args: str, answer: bytes = b"") -> tuple[int, str]:
    controller, terminal = pty.openpty()
    seen = b""
    env = {**os.environ, **cli_sim.env, "COLUMNS": "100"}
    with subprocess.Popen(
        [VMW, *args], stdin=terminal, stdout=terminal, stderr=terminal, env=env
    ) as proc:
        os.close(terminal)
        if answer:
            os.write(controller, answer)
        with contextlib.suppress(OSError):  # the terminal closes with the process
            while chunk := os.read(controller, 1024):
                seen += chunk
        code = proc.wait(timeout=60)
    os.close(controller)
    return code, seen.decode(errors="replace")


def test_upload_shows_a_progress_bar_on_a_terminal(cli_sim, cli_si, folder, tmp_path: Path) -> None:
    local = tmp_path / "big.bin"
    with local.open("wb") as f:
        f.truncate(16 * 2**20)
    code, seen = _on_a_terminal(cli_sim, "datastore", "upload", str(local), f"[{DS}] {folder}/")
    assert code == 0, seen
    assert "upload big.bin" in seen
    assert "%" in seen
    assert server_ls(cli_si, folder) == {"big.bin": (False, 16 * 2**20)}


def test_rm_on_a_terminal_deletes_nothing_without_a_yes(cli_sim, cli_si, folder) -> None:
    server_file(cli_sim, cli_si, f"{folder}/f", b"x")
    code, seen = _on_a_terminal(cli_sim, "datastore", "rm", f"[{DS}] {folder}/f", answer=b"n\n")
    assert code == 1, seen
    assert "Delete " in seen
    assert server_ls(cli_si, folder) == {"f": (False, 1)}
    code, seen = _on_a_terminal(cli_sim, "datastore", "rm", f"[{DS}] {folder}/f", answer=b"y\n")
    assert code == 0, seen
    assert server_ls(cli_si, folder) == {}
