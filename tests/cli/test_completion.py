"""Shell completion of inventory names, asked for as the shells ask: vmw run with
_VMW_COMPLETE=bash_complete (or zsh_complete), COMP_WORDS and COMP_CWORD, against the CLI's
simulator; names from a private cache file, filled by one bulk read at most once a minute.

Most tests run vmw with the callbacks attached to its arguments at start (WIRING, in
memory, as main.py's commands will declare them with shell_complete=); the last two check
that vmw's own commands declare them."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import VMW
from tests.helpers import wait_task
from vmware_wrapper.cli import completion

# (command, parameter, callback): which argument or option completes what.
WIRING: list[tuple[tuple[str, ...], str, str]] = [
    (("ls",), "path", "complete_path"),
    (("find",), "pattern", "complete_find"),
    (("folder", "create"), "path", "complete_folder"),
    (("field", "ls"), "target", "complete_object"),
    (("field", "set"), "target", "complete_object"),
    (("notes", "set"), "vm", "complete_vm"),
    (("notes", "get"), "vm", "complete_vm"),
    (("events",), "target", "complete_object"),
    (("vm", "ls"), "pattern", "complete_vm"),
    (("vm", "info"), "vms", "complete_vm"),
    *((("vm", power), "vms", "complete_vm") for power in
      ("on", "off", "shutdown", "reboot", "reset", "suspend")),
    (("vm", "clone"), "source", "complete_vm"),
    (("vm", "clone"), "folder", "complete_folder"),
    (("vm", "clone"), "host", "complete_host"),
    (("vm", "clone"), "cluster", "complete_cluster"),
    (("vm", "clone"), "pool", "complete_pool"),
    (("vm", "clone"), "datastore", "complete_datastore"),
    (("vm", "reconfig"), "vm_name", "complete_vm"),
    (("vm", "reconfig"), "network", "complete_network"),
    (("vm", "destroy"), "vms", "complete_vm"),
    (("vm", "rename"), "vm_name", "complete_vm"),
    (("vm", "move"), "args", "complete_vm_or_folder"),
    (("vm", "mark-template"), "vm_name", "complete_vm"),
    (("vm", "mark-vm"), "vm_name", "complete_vm"),
    (("vm", "mark-vm"), "pool", "complete_pool"),
    (("vm", "mark-vm"), "host", "complete_host"),
    (("snapshot", "ls"), "vm", "complete_vm"),
    (("snapshot", "create"), "vm", "complete_vm"),
    (("snapshot", "revert"), "vm", "complete_vm"),
    (("snapshot", "revert"), "name", "complete_snapshot"),
    (("snapshot", "rm"), "vm", "complete_vm"),
    (("snapshot", "rm"), "name", "complete_snapshot"),
    (("guest", "run"), "vm", "complete_vm"),
    (("guest", "upload"), "vm", "complete_vm"),
    (("guest", "download"), "vm", "complete_vm"),
    (("tag", "ls"), "target", "complete_object"),
    (("tag", "attach"), "targets", "complete_object"),
    (("tag", "detach"), "targets", "complete_object"),
]  # fmt: skip

# vmw with WIRING's callbacks attached, then as the console script runs it.
WIRED_VMW = """
import json, sys
from vmware_wrapper.cli import completion
from vmware_wrapper.cli.main import main, vmw
for path, name, callback in json.loads(sys.argv.pop(1)):
    command = vmw
    for word in path:
        command = command.commands[word]
    param = next(p for p in command.params if p.name == name)
    param._custom_shell_complete = getattr(completion, callback)
main()
"""

# What a connection costs the simulator.
CONNECTING = ("RetrieveServiceContent", "Login", "RetrievePropertiesEx", "CreateContainerView")


@dataclasses.dataclass
class Completed:
    code: int
    words: list[str]
    out: str
    err: str
    seconds: float


@pytest.fixture
def cache_home(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def complete(cli_sim, cache_home, tmp_path) -> Callable[..., Completed]:
    """Ask vmw for the completions of a command line's last word, as bash (or zsh) does."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "GOVC_"))}

    def run(
        line: str, *, env: dict[str, str] | None = None, shell: str = "bash", wired: bool = True
    ) -> Completed:
        words = line.split(" ")
        environment = {
            **clean,
            **cli_sim.env,
            "HOME": str(tmp_path),
            "XDG_CACHE_HOME": str(cache_home),
            **(env or {}),
            "_VMW_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        }
        command = [sys.executable, "-c", WIRED_VMW, json.dumps(WIRING)] if wired else [VMW]
        started = time.monotonic()
        proc = subprocess.run(
            command,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        seconds = time.monotonic() - started
        if shell == "zsh":  # type, value, help: three lines each
            lines = proc.stdout.splitlines()
            found = lines[1::3] if proc.stdout.strip() else []
        else:
            found = [line.split(",", 1)[1] for line in proc.stdout.splitlines() if line]
        return Completed(proc.returncode, found, proc.stdout, proc.stderr, seconds)

    return run


def ok(result: Completed) -> list[str]:
    assert (result.code, result.err) == (0, ""), result.err
    return result.words


def cache_files(cache_home: Path) -> list[Path]:
    return sorted((cache_home / "vmw").iterdir())


def connection_calls(cli_sim) -> dict[str, int]:
    counts = cli_sim.call_counts()
    return {method: counts.get(method, 0) for method in (*CONNECTING, "Logout")}


def test_vm_names_complete(complete):
    words = ok(complete("vmw vm on DC0_H0_"))
    assert {"DC0_H0_VM0", "DC0_H0_VM1"} <= set(words)
    assert all(w.startswith("DC0_H0_VM") for w in words)
    assert words == sorted(words)
    # The next VM of several; another command; a name nothing starts with; a glob.
    assert "DC0_H0_VM1" in ok(complete("vmw vm off DC0_H0_VM0 DC0_H0_VM"))
    assert ok(complete("vmw vm info DC0_C0_RP0_VM0")) == ["DC0_C0_RP0_VM0"]
    assert ok(complete("vmw vm on no-such-")) == []
    assert ok(complete("vmw vm on DC0_*")) == []


def test_an_empty_word_offers_every_vm(complete, cli_vs):
    assert ok(complete("vmw vm info ")) == sorted({v.name for v in cli_vs.list_vms()})


def test_paths_complete_after_a_slash(complete, cli_vs):
    assert ok(complete("vmw vm info /DC0/vm/DC0_H0_")) == [
        f"/DC0/vm/{v.name}" for v in cli_vs.list_vms("DC0_H0_*")
    ]
    listing = ok(complete("vmw ls /DC0/"))
    assert {"/DC0/vm", "/DC0/host", "/DC0/host/DC0_C0", "/DC0/vm/DC0_H0_VM0"} <= set(listing)
    assert all(p.startswith("/DC0/") for p in listing)

    folders = {item.path for item in cli_vs.find_items("folder")} - {"/"}
    assert set(ok(complete("vmw vm clone DC0_H0_VM0 web-1 --folder /DC0/"))) == folders
    assert set(ok(complete("vmw folder create "))) == folders
    assert ok(complete("vmw vm move DC0_H0_VM0 /DC0/v")) == sorted(
        p for p in folders | {v.path for v in cli_vs.list_vms()} if p.startswith("/DC0/v")
    )


def test_other_kinds_complete(complete, cli_vs):
    assert ok(complete("vmw vm clone DC0_H0_VM0 web-1 --host DC0_C0_")) == [
        "DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2",
    ]  # fmt: skip
    assert ok(complete("vmw vm clone DC0_H0_VM0 web-1 --cluster DC")) == ["DC0_C0"]
    assert ok(complete("vmw vm clone DC0_H0_VM0 web-1 --datastore Loc")) == ["LocalDS_0"]
    assert ok(complete("vmw vm clone DC0_H0_VM0 web-1 --pool /DC0/host/DC0_C0/")) == [
        "/DC0/host/DC0_C0/Resources"
    ]
    assert ok(complete("vmw vm reconfig DC0_H0_VM0 --network VM")) == ["VM Network"]
    assert ok(complete("vmw find --type host DC0_H")) == ["DC0_H0"]  # not the VMs
    assert set(ok(complete("vmw find DC0_H0"))) >= {"DC0_H0", "DC0_H0_VM0"}
    assert "DC0_C0" in ok(complete("vmw events DC0_"))


def test_zsh_shows_the_path_of_a_name(complete):
    result = complete("vmw vm on DC0_H0_VM0", shell="zsh")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == ["plain", "DC0_H0_VM0", "/DC0/vm/DC0_H0_VM0"]


def test_snapshot_names_of_the_vm_given_before(complete, make_vm):
    vm, other, bare = make_vm("snaps"), make_vm("snaps"), make_vm("snaps")
    wait_task(vm.CreateSnapshot_Task("before", "", False, False))
    wait_task(vm.CreateSnapshot_Task("after", "", False, False))
    wait_task(other.CreateSnapshot_Task("elsewhere", "", False, False))
    assert ok(complete(f"vmw snapshot revert {vm.name} ")) == ["after", "before"]
    assert ok(complete(f"vmw snapshot rm {vm.name} be")) == ["before"]
    assert ok(complete(f"vmw snapshot rm {vm.name} before/")) == ["before/after"]
    # Another VM's: not the names kept for the first one.
    assert ok(complete(f"vmw snapshot rm {other.name} ")) == ["elsewhere"]
    assert ok(complete(f"vmw snapshot revert {bare.name} ")) == []
    assert ok(complete(f"vmw snapshot revert {vm.name} a")) == ["after"]
    # No VM before it, or a pattern: nothing to offer.
    assert ok(complete("vmw snapshot rm 'snaps-*' ")) == []
    assert ok(complete("vmw snapshot rm no-such-vm ")) == []


def test_a_second_completion_within_the_ttl_connects_no_more(
    complete, cli_sim, make_vm, cache_home
):
    assert "DC0_H0_VM0" in ok(complete("vmw vm on DC0_"))
    name = make_vm("late").name  # made after the names were read
    before = connection_calls(cli_sim)
    assert name not in ok(complete("vmw vm on "))
    assert ok(complete("vmw snapshot ls late-")) == []
    assert "DC0_H0_VM1" in ok(complete("vmw vm info DC0_H0_VM0 DC0_"))
    assert connection_calls(cli_sim) == before

    # Once the names are older than the TTL: one connection, one bulk read, logged out;
    # no inventory watch.
    (inventory,) = [f for f in cache_files(cache_home) if f.name.endswith(".inventory.json")]
    record = json.loads(inventory.read_text())
    record["time"] -= completion.CACHE_TTL + 1
    inventory.write_text(json.dumps(record))
    watches = cli_sim.call_counts().get("WaitForUpdatesEx", 0)
    assert ok(complete("vmw vm on late-")) == [name]
    after = connection_calls(cli_sim)
    assert {m: after[m] - before[m] for m in after} == {
        "RetrieveServiceContent": 1, "Login": 1, "RetrievePropertiesEx": 1,
        "CreateContainerView": 1, "Logout": 1,
    }  # fmt: skip
    assert cli_sim.call_counts().get("WaitForUpdatesEx", 0) == watches


def test_the_cache_is_private_and_holds_no_password(complete, cli_sim, cache_home, make_vm):
    vm = make_vm("private")
    wait_task(vm.CreateSnapshot_Task("s1", "", False, False))
    assert ok(complete("vmw vm on DC0_"))
    assert ok(complete(f"vmw snapshot rm {vm.name} ")) == ["s1"]
    directory = cache_home / "vmw"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = cache_files(cache_home)
    assert [f.name.split(".", 1)[1] for f in files] == ["inventory.json", "snapshots.json"]
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
        text = f.read_text()
        for secret in (cli_sim.password, cli_sim.username, cli_sim.host):
            assert secret not in f.name
        assert cli_sim.password not in text
        assert cli_sim.username not in text  # names of objects only


def test_the_directory_is_made_private_again(complete, cache_home):
    (cache_home / "vmw").mkdir(parents=True, mode=0o755)
    (cache_home / "vmw").chmod(0o755)
    assert ok(complete("vmw vm on DC0_"))
    assert stat.S_IMODE((cache_home / "vmw").stat().st_mode) == 0o700


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that takes connections and never answers (a server that hangs)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def elsewhere(port: int) -> dict[str, str]:
    return {
        "VMWARE_HOST": "127.0.0.1",
        "VMWARE_PORT": str(port),
        "GOVC_URL": "",
    }


def test_a_server_that_does_not_answer_yields_nothing_quickly(complete, silent_server):
    first = complete("vmw vm on DC0_", env=elsewhere(silent_server))
    assert (first.code, first.words, first.err) == (0, [], "")
    assert first.seconds < completion.CONNECT_TIMEOUT + 4
    # Not tried again at once: the next Tab costs no wait.
    second = complete("vmw vm on DC0_", env=elsewhere(silent_server))
    assert (second.code, second.words, second.err) == (0, [], "")
    assert second.seconds < first.seconds - 1


def test_a_refused_port_yields_nothing_at_once(complete):
    result = complete("vmw vm on DC0_", env=elsewhere(closed_port()))
    assert (result.code, result.words, result.err) == (0, [], "")
    assert result.seconds < completion.CONNECT_TIMEOUT + 4


def test_no_settings_or_bad_credentials_yield_nothing(complete, cli_sim, cache_home):
    nothing = {k: "" for k in cli_sim.env}
    result = complete("vmw vm on DC0_", env=nothing)
    assert (result.code, result.words, result.err) == (0, [], "")
    wrong = complete("vmw vm on DC0_", env={"VMWARE_PASSWORD": "wrong", "GOVC_PASSWORD": "wrong"})
    assert (wrong.code, wrong.words, wrong.err) == (0, [], "")
    assert not (cache_home / "vmw").exists() or cache_files(cache_home) == []


def test_connection_options_on_the_command_line_count(complete, cli_sim):
    wrong = {"VMWARE_PASSWORD": "wrong", "GOVC_PASSWORD": "wrong"}
    assert ok(complete("vmw vm on DC0_H0_", env=wrong)) == []
    right = cli_sim.password
    assert "DC0_H0_VM0" in ok(complete(f"vmw --password {right} vm on DC0_H0_", env=wrong))
    assert "DC0_H0_VM0" in ok(complete(f"vmw vm on --password {right} DC0_H0_VM", env=wrong))
    # Options after the command win over those before it.
    good, bad = cli_sim.port, closed_port()
    assert ok(complete(f"vmw --port {good} snapshot ls --port {bad} DC0_")) == []
    assert "DC0_H0_VM0" in ok(complete(f"vmw --port {bad} snapshot ls --port {good} DC0_"))


def test_without_a_cache_directory_names_are_read_each_time(complete, tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    env = {"XDG_CACHE_HOME": "", "HOME": str(not_a_directory)}
    assert "DC0_H0_VM0" in ok(complete("vmw vm on DC0_H0_", env=env))


def test_no_warning_reaches_the_shell(complete):
    # Skipping certificate checks is logged as a warning by the library: not into the shell.
    insecure = {"VMWARE_THUMBPRINT": "", "VMWARE_VALIDATE_CERTS": "false"}
    assert "DC0_H0_VM0" in ok(complete("vmw vm on DC0_H0_", env=insecure))


def test_vmw_itself_completes_vm_names(complete):
    """Needs the callbacks declared on vmw's commands (shell_complete=)."""
    words = ok(complete("vmw vm on DC0_H0_", wired=False))
    assert {"DC0_H0_VM0", "DC0_H0_VM1"} <= set(words)


def test_vmw_declares_the_callbacks():
    """Needs the callbacks declared on vmw's commands (shell_complete=)."""
    from vmware_wrapper.cli.main import vmw

    missing = []
    for path, name, callback in WIRING:
        command = vmw
        for word in path:
            command = command.commands[word]
        (param,) = [p for p in command.params if p.name == name]
        if param._custom_shell_complete is not getattr(completion, callback):
            missing.append(f"vmw {' '.join(path)} {name}: shell_complete={callback}")
    assert missing == []
