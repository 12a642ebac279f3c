"""Inside the guest, through VMware Tools: run programs, move files, manage processes.

    g = vs.guest("web-07", "root", password)
    result = g.run("/usr/bin/uptime")            # GuestResult(exit_code, stdout, stderr)
    g.upload(b"...", "/etc/motd"); data = g.download("/var/log/syslog")

vSphere runs a guest program without capturing its output. ``run`` sends the output to
temporary files in the guest and downloads them afterwards, as Invoke-VMScript and govc do.
The first call waits until the guest's operations are ready (the tools run); the faults a
guest throws while they start are retried with backoff.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from .._base.times import iso_utc
from .._base.vmomi import vim
from .._inventory.tree import Entry
from .._transport.faults import describing
from .._transport.retry import is_transient_guest_fault, retry_transient
from ..errors import GuestOperationError, InvalidInputError, OperationTimeout
from .checks import deadline_of
from .context import Ops

T = TypeVar("T")

_DEFAULT_READY_TIMEOUT = 120.0
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class GuestResult:
    """What a program run in the guest did."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class GuestProcess:
    """A process in the guest, as its tools report it."""

    pid: int
    name: str
    owner: str
    command: str
    started: str  # ISO 8601, UTC
    ended: str | None
    exit_code: int | None


class Guest:
    """Guest operations in one VM, with one set of guest credentials (never logged)."""

    def __init__(
        self,
        ops: Ops,
        entry: Entry,
        obj: Any,
        username: str,
        password: str,
        ready_timeout: float = _DEFAULT_READY_TIMEOUT,
    ) -> None:
        if not isinstance(username, str) or not username:
            raise InvalidInputError("a guest username is required")
        if not isinstance(password, str):
            raise InvalidInputError("a guest password is a string")
        self._ops = ops
        self._entry = entry
        self.vm = obj
        self._auth = vim.vm.guest.NamePasswordAuthentication(
            username=username, password=password, interactiveSession=False
        )
        self._ready_timeout = ready_timeout
        self._ready = False
        self._windows = False

    def __repr__(self) -> str:
        return f"<Guest {self._entry.display_name} user:{self._auth.username}>"

    @property
    def name(self) -> str:
        """The VM, as messages name it ('web-07')."""
        return self._ops.name(self._entry)

    @property
    def _processes(self) -> Any:
        return self._guest_managers()[0]

    @property
    def _files(self) -> Any:
        return self._guest_managers()[1]

    def _guest_managers(self) -> tuple[Any, Any]:
        """The process and file managers, the same for every guest of the connection: read
        on first use, once for all of them (making a Guest costs no round trip)."""

        def read() -> tuple[Any, Any]:
            values = self._ops.read(
                self._ops.content.guestOperationsManager,
                ["processManager", "fileManager"],
                "find the guest operations managers",
            )
            return values["processManager"], values["fileManager"]

        return self._ops.once("guest operations managers", read)

    # -- readiness and retries -------------------------------------------------------------

    def _ensure_ready(self, deadline: float | None) -> None:
        if self._ready:
            return
        values = self._ops.read(
            self.vm,
            [
                "runtime.powerState",
                "guest.guestOperationsReady",
                "guest.guestFamily",
                "config.guestId",
            ],
            f"check the guest of {self.name}",
        )
        if values["runtime.powerState"] != "poweredOn":
            raise GuestOperationError(
                f"guest operations in {self.name}: the VM is {values['runtime.powerState']}"
            )
        family = (values["guest.guestFamily"] or values["config.guestId"] or "").lower()
        self._windows = family.startswith("windows") or family.startswith("win")
        if not values["guest.guestOperationsReady"]:
            ready_by = time.monotonic() + self._ready_timeout
            if deadline is not None:
                ready_by = min(ready_by, deadline)

            def ready(v: dict[str, Any]) -> bool:
                if v["runtime.powerState"] not in (None, "poweredOn"):
                    raise GuestOperationError(
                        f"guest operations in {self.name}: the VM is {v['runtime.powerState']}"
                    )
                return bool(v["guest.guestOperationsReady"])

            try:
                self._ops.tasks.watch(
                    self.vm,
                    ["guest.guestOperationsReady", "runtime.powerState"],
                    ready,
                    ready_by,
                    f"wait for guest operations in {self.name}",
                )
            except OperationTimeout as e:
                raise GuestOperationError(
                    f"guest operations in {self.name}: VMware Tools are not running ({e})"
                ) from e
        self._ready = True

    def _call(self, description: str, call: Callable[[], T], deadline: float | None = None) -> T:
        """A guest request: ready first, transient faults retried, faults translated."""
        if deadline is None:
            deadline = time.monotonic() + self._ready_timeout
        self._ensure_ready(deadline)
        with describing(description):
            return retry_transient(
                call, description, deadline, is_transient_guest_fault, self._ops.logger
            )

    # -- programs --------------------------------------------------------------------------

    def start(
        self,
        program: str,
        arguments: str = "",
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
    ) -> int:
        """Start a program in the guest; its pid. Its output is not kept (see run)."""
        _check_text("program", program)
        spec = vim.vm.guest.ProcessManager.ProgramSpec(
            programPath=program,
            arguments=arguments,
            workingDirectory=cwd,
            envVariables=[f"{k}={v}" for k, v in (env or {}).items()],
        )
        pid = self._call(
            f"start {program!r} in {self.name}",
            lambda: self._processes.StartProgramInGuest(self.vm, self._auth, spec),
        )
        return int(pid)

    def run(
        self,
        program: str,
        arguments: str = "",
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
        shell: bool = False,
    ) -> GuestResult:
        """Run a program in the guest and wait for it: exit code, stdout and stderr.

        ``shell=True`` runs ``program arguments`` as one command line of the guest's shell
        (/bin/sh -c, or cmd.exe /c on Windows). When ``timeout`` (seconds) runs out, the
        program is killed and OperationTimeout raised.
        """
        _check_text("program", program)
        if not isinstance(arguments, str):
            raise InvalidInputError(f"arguments={arguments!r}: one string, as the guest parses it")
        if env is not None and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in env.items()
        ):
            raise InvalidInputError("env: a dict of strings")
        deadline = deadline_of(timeout)
        description = f"run {program!r} in {self.name}"
        self._ensure_ready(deadline)
        out = self.mktemp(prefix="vmw-", suffix=".out")
        err = self.mktemp(prefix="vmw-", suffix=".err")
        try:
            path, args = self._command(program, arguments, shell, out, err)
            spec = vim.vm.guest.ProcessManager.ProgramSpec(
                programPath=path,
                arguments=args,
                workingDirectory=cwd,
                envVariables=[f"{k}={v}" for k, v in (env or {}).items()],
            )
            pid = self._call(
                description,
                lambda: self._processes.StartProgramInGuest(self.vm, self._auth, spec),
                deadline,
            )
            exit_code = self._wait_for_exit(int(pid), description, deadline)
            stdout = self.download(out).decode("utf-8", "replace")
            stderr = self.download(err).decode("utf-8", "replace")
        finally:
            for temp in (out, err):
                # Best effort: at worst a file is left in the guest's temp directory.
                with contextlib.suppress(GuestOperationError):
                    self.remove(temp)
        self._ops.logger.info("%s: exit code %d", description, exit_code)
        return GuestResult(exit_code, stdout, stderr)

    def _command(
        self, program: str, arguments: str, shell: bool, out: str, err: str
    ) -> tuple[str, str]:
        """Program path and arguments that send the output to the two files."""
        if self._windows:
            line = f"{program} {arguments}".strip()
            return (
                r"C:\Windows\System32\cmd.exe",
                f'/c "{line}" > "{out}" 2> "{err}"',
            )
        redirect = f"> {shlex.quote(out)} 2> {shlex.quote(err)}"
        if shell:
            return "/bin/sh", f"-c {shlex.quote(f'{program} {arguments}'.strip())} {redirect}"
        # Linux tools run "program arguments" through the shell: redirection works.
        if "/" not in program:
            # The tools want an absolute program path; a bare name is looked up on the
            # guest's PATH as a shell would, by env(1).
            return "/usr/bin/env", f"{shlex.quote(program)} {arguments} {redirect}"
        return program, f"{arguments} {redirect}".strip()

    def _wait_for_exit(self, pid: int, description: str, deadline: float | None) -> int:
        # Guest processes are not in the property collector's reach: poll, with backoff.
        delay = 0.05
        while True:
            found = self.processes([pid])
            if found and found[0].ended is not None:
                return int(found[0].exit_code or 0)
            if deadline is not None and time.monotonic() + delay > deadline:
                self.kill(pid)
                raise OperationTimeout(f"{description}: still running at the timeout; killed it")
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def processes(self, pids: list[int] | None = None) -> list[GuestProcess]:
        """Processes in the guest (those given, or all the tools report)."""
        infos = self._call(
            f"list processes in {self.name}",
            lambda: self._processes.ListProcessesInGuest(self.vm, self._auth, pids or []),
        )
        return [
            GuestProcess(
                pid=int(p.pid),
                name=str(p.name),
                owner=str(p.owner),
                command=str(p.cmdLine),
                started=iso_utc(p.startTime) if p.startTime else "",
                ended=iso_utc(p.endTime) if p.endTime else None,
                exit_code=int(p.exitCode)
                if p.endTime is not None and p.exitCode is not None
                else None,
            )
            for p in infos or []
        ]

    def kill(self, pid: int) -> None:
        """End a process in the guest."""
        self._call(
            f"kill process {pid} in {self.name}",
            lambda: self._processes.TerminateProcessInGuest(self.vm, self._auth, pid),
        )
        self._ops.logger.info("kill process %d in %s", pid, self.name)

    # -- files -----------------------------------------------------------------------------

    def upload(
        self, data: bytes | str | os.PathLike[str], guest_path: str, *, overwrite: bool = True
    ) -> None:
        """Put bytes, or a local file (streamed), at a path in the guest."""
        _check_text("guest_path", guest_path)
        payload: bytes | None = None
        if isinstance(data, (bytes, bytearray)):
            payload = bytes(data)
            size, source, close = len(data), None, None
        elif isinstance(data, (str, os.PathLike)):
            local = Path(data)
            if not local.is_file():
                raise InvalidInputError(f"upload {str(local)!r}: no such local file")
            size = local.stat().st_size
            source = close = local.open("rb")
        else:
            raise InvalidInputError(
                f"upload: bytes or a local file path, not {type(data).__name__}"
            )
        description = f"upload {size} bytes to {guest_path!r} in {self.name}"
        try:
            url = self._call(
                description,
                lambda: self._files.InitiateFileTransferToGuest(
                    self.vm, self._auth, guest_path, vim.vm.guest.FileManager.FileAttributes(),
                    size, overwrite,
                ),
            )  # fmt: skip
            self._transfer("PUT", url, description, body=payload if source is None else source,
                           size=size)  # fmt: skip
        finally:
            if close is not None:
                close.close()
        self._ops.logger.info("%s", description)

    def download(self, guest_path: str, to: str | os.PathLike[str] | None = None) -> bytes:
        """A file of the guest: its bytes, or (with ``to``) streamed into a local file."""
        _check_text("guest_path", guest_path)
        description = f"download {guest_path!r} from {self.name}"
        info = self._call(
            description,
            lambda: self._files.InitiateFileTransferFromGuest(self.vm, self._auth, guest_path),
        )
        if to is None:
            return self._transfer("GET", info.url, description)
        with Path(to).open("wb") as sink:
            self._transfer("GET", info.url, description, sink=sink)
        return b""

    def _transfer(
        self,
        method: str,
        url: str,
        description: str,
        body: bytes | IO[bytes] | None = None,
        size: int = 0,
        sink: IO[bytes] | None = None,
    ) -> bytes:
        """One HTTP transfer with the guest's tools, over the connection's TLS settings."""
        connection, target = self._ops.session.http.connect_url(url)
        try:
            headers = {"Content-Length": str(size)} if method == "PUT" else {}
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            if response.status != 200:
                raise GuestOperationError(
                    f"{description}: HTTP {response.status} {response.reason}: "
                    f"{response.read(500).decode('utf-8', 'replace').strip()}"
                )
            if sink is None:
                return response.read()
            while chunk := response.read(_CHUNK):
                sink.write(chunk)
            return b""
        except (OSError, http.client.HTTPException) as e:
            raise GuestOperationError(f"{description}: {e}") from e
        finally:
            connection.close()

    def mkdir(self, path: str, *, parents: bool = True) -> None:
        """Make a directory in the guest (with its parents, unless ``parents=False``)."""
        _check_text("path", path)
        self._call(
            f"make directory {path!r} in {self.name}",
            lambda: self._files.MakeDirectoryInGuest(self.vm, self._auth, path, parents),
        )

    def rmdir(self, path: str, *, recursive: bool = False) -> None:
        """Remove a directory in the guest (with what it holds when ``recursive``)."""
        _check_text("path", path)
        self._call(
            f"remove directory {path!r} in {self.name}",
            lambda: self._files.DeleteDirectoryInGuest(self.vm, self._auth, path, recursive),
        )

    def remove(self, path: str) -> None:
        """Remove a file in the guest."""
        _check_text("path", path)
        self._call(
            f"remove {path!r} in {self.name}",
            lambda: self._files.DeleteFileInGuest(self.vm, self._auth, path),
        )

    def mktemp(self, prefix: str = "vmw-", suffix: str = "", directory: str | None = None) -> str:
        """A new empty temporary file in the guest; its path."""
        return str(
            self._call(
                f"make a temporary file in {self.name}",
                lambda: self._files.CreateTemporaryFileInGuest(
                    self.vm, self._auth, prefix, suffix, directory
                ),
            )
        )

    def mkdtemp(self, prefix: str = "vmw-", suffix: str = "", directory: str | None = None) -> str:
        """A new temporary directory in the guest; its path."""
        return str(
            self._call(
                f"make a temporary directory in {self.name}",
                lambda: self._files.CreateTemporaryDirectoryInGuest(
                    self.vm, self._auth, prefix, suffix, directory
                ),
            )
        )

    def listdir(self, path: str) -> list[str]:
        """The names in a guest directory."""
        _check_text("path", path)
        names: list[str] = []
        index = 0
        while True:
            page = self._call(
                f"list {path!r} in {self.name}",
                lambda start=index: self._files.ListFilesInGuest(  # type: ignore[misc]
                    self.vm, self._auth, path, start, None, None
                ),
            )
            names += [f.path for f in page.files or [] if f.path not in (".", "..")]
            index += len(page.files or [])
            if not page.remaining:
                return names


def _check_text(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{name}={value!r}: a non-empty string")
