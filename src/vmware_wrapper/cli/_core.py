"""What every vmw command shares: the connection, output (tables or JSON), errors, prompts.

The CLI speaks only to the library's public API; it never imports pyVmomi.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .. import Fleet, VSphere, errors
from ._words import words_of

# Exit status by error family: what the caller should do next differs by family.
EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (errors.GuestOperationError, 10),
    (errors.OperationTimeout, 9),
    (errors.TaskError, 8),
    (errors.InvalidStateError, 7),
    (errors.ConnectError, 6),
    (errors.AuthenticationError, 5),
    (errors.PermissionDeniedError, 5),
    (errors.AmbiguousNameError, 4),
    (errors.NotFoundError, 3),
    (errors.InvalidInputError, 2),
    (errors.VSphereError, 1),
]
PARTIAL_FAILURE = 1  # some targets of a command failed
T = TypeVar("T")

ENVIRONMENT_HELP = """\b
Environment (as Ansible's modules and govc use it):
  VMWARE_HOST, VMWARE_USER, VMWARE_PASSWORD (or VMWARE_PASSWORD_FILE), VMWARE_PORT,
  VMWARE_VALIDATE_CERTS (false: skip certificate checks), VMWARE_THUMBPRINT;
  or GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD, GOVC_INSECURE.
  Several vCenters: VMWARE_HOST=vc1,vc2:8443 (one user and password for all, or
  VMWARE_USERS and VMWARE_PASSWORDS: comma lists, one per vCenter, in order).
"""


def examples(*lines: str) -> str:
    """A command's epilog of examples, kept as written (click rewraps paragraphs without \\b)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


class Context:
    """The command line's state: options, the connection (made on first use), output."""

    def __init__(self, given: dict[str, Any]) -> None:
        self.options: dict[str, Any] = {}  # VSphere's keyword arguments, from options
        self.password_file: str | None = None
        self.as_json = False
        self.debug = False
        self._vs: VSphere | Fleet | None = None
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        self.apply(given)

    def apply(self, given: dict[str, Any]) -> None:
        """Take global options (by their Python names), before or after the command."""
        for key, value in given.items():
            if value is None:
                continue
            if key == "as_json":
                self.as_json = bool(value)
            elif key == "debug":
                self.debug = bool(value)
            elif key == "password_file":
                self.password_file = value
            elif key == "host" and isinstance(value, tuple):  # --host, which may be repeated
                if value:
                    self.options["host"] = ",".join(value)
            else:
                self.options["username" if key == "user" else key] = value

    @property
    def vs(self) -> VSphere | Fleet:
        """The connection: a VSphere, or a Fleet when several vCenters are given."""
        if self._vs is None:
            hosts = _host_list(self.options.get("host") or os.environ.get("VMWARE_HOST", ""))
            if len(hosts) > 1:
                self._vs = self._connect_fleet(hosts)
                return self._vs
            options = dict(self.options)
            if hosts and (":" in hosts[0] or "[" in hosts[0]):
                options.update(_host_entry(hosts[0]))  # "vc1:8443", "https://vc1:8443"
            if self.password_file is not None:
                options["password"] = read_password_file(self.password_file)
            elif not options.get("password"):
                settings = {**VSphere.settings_from_env(), **options}
                if not settings.get("password") and settings.get("host"):
                    if not _can_ask():
                        self.fail(
                            "no password: set VMWARE_PASSWORD or VMWARE_PASSWORD_FILE, or give "
                            "--password-file (on a terminal, vmw asks for it)",
                            2,
                        )
                    who = f"{settings.get('username', '')}@{settings['host']}".lstrip("@")
                    options["password"] = click.prompt(
                        f"Password for {who}", hide_input=True, err=True
                    )
            self._vs = VSphere.from_env(**options)
        return self._vs

    def _connect_fleet(self, hosts: list[str]) -> Fleet:
        """Every vCenter of a list at once, with the same options for each (a command line's
        beat the environment's), users and passwords from VMWARE_USERS / VMWARE_PASSWORDS
        (one per vCenter) when no single one is given."""
        base = {**VSphere.settings_from_env(), **self.options}
        port = self.options.get("port") or os.environ.get("VMWARE_PORT")
        for key in ("host", "port", "protocol"):
            base.pop(key, None)  # each entry's own (GOVC_URL names one server), else --port
        if port:
            base["port"] = int(port)
        users = None if "username" in self.options else _per_host("VMWARE_USERS", len(hosts))
        passwords = None
        if self.password_file is not None:
            base["password"] = read_password_file(self.password_file)
        elif "password" not in self.options:
            passwords = _per_host("VMWARE_PASSWORDS", len(hosts))
        settings = []
        for i, entry in enumerate(hosts):
            one = {**base, **_host_entry(entry)}
            if users is not None:
                one["username"] = users[i]
            if passwords is not None:
                one["password"] = passwords[i]
            settings.append(one)
        missing = sorted(
            {name for one in settings for key, name in _REQUIRED.items() if not one.get(key)}
        )
        if "VMWARE_PASSWORD" in missing and len(missing) == 1 and _can_ask():
            # One prompt for them all: a fleet shares its password unless VMWARE_PASSWORDS.
            who = f"{base.get('username', '')}@{','.join(hosts)}".lstrip("@")
            password = click.prompt(f"Password for {who}", hide_input=True, err=True)
            settings = [{**one, "password": one.get("password") or password} for one in settings]
        elif missing:
            self.fail(f"missing connection settings for the vCenters: {', '.join(missing)}", 2)
        return Fleet.connect(settings)

    def listing(
        self,
        read: Callable[[VSphere, str], Sequence[Any]],
        pattern: str,
        columns: Sequence[tuple[str, str | Callable[[Any], Any]]],
    ) -> None:
        """A table of ``read(vs, pattern)``'s records. On a fleet: every vCenter's at once (or
        the one a qualified pattern names, "vc2:web-*"), under a VCENTER column, and each
        JSON record says its "vcenter"."""
        vs = self.vs
        if not isinstance(vs, Fleet):
            self.table(read(vs, pattern), columns)
            return
        named, rest = vs.split(pattern)
        if named is not None:
            found: dict[str, Any] = {named: read(vs[named], rest)}
        else:
            found = vs.each(lambda member: read(member, pattern))
            for outcome in found.values():
                if isinstance(outcome, errors.VSphereError):
                    raise outcome
        rows = [(name, record) for name, records in found.items() for record in records]
        if self.as_json:
            self.emit([{**to_json(record), "vcenter": name} for name, record in rows])
            return

        def field_of(f: str | Callable[[Any], Any]) -> Callable[[tuple[str, Any]], Any]:
            return lambda row: f(row[1]) if callable(f) else getattr(row[1], f)

        self.table(rows, [("VCENTER", lambda row: row[0])] + [(h, field_of(f)) for h, f in columns])

    def per_vcenter(
        self, refs: Sequence[str], call: Callable[[VSphere, list[str]], list[T]]
    ) -> list[T]:
        """``call(vs, refs)``, whose results follow its refs one for one; on a fleet, once per
        vCenter with the refs (qualified names) it holds, the results back in refs' order."""
        vs = self.vs
        if not isinstance(vs, Fleet):
            return call(vs, list(refs))
        groups: dict[str, list[tuple[int, str]]] = {}
        for i, ref in enumerate(refs):
            named, rest = vs.split(ref)
            if named is None:
                named, rest = vs.locate(ref)
            groups.setdefault(named, []).append((i, rest))
        out: list[Any] = [None] * len(refs)
        for named, members in groups.items():
            for (i, _), result in zip(
                members, call(vs[named], [rest for _, rest in members]), strict=True
            ):
                out[i] = result
        return out

    def close(self) -> None:
        if self._vs is not None:
            self._vs.close()

    # -- output ----------------------------------------------------------------------------

    def emit(self, data: Any) -> None:
        """Records (dataclasses) or plain data, as JSON on stdout."""
        click.echo(json.dumps(to_json(data), indent=2, sort_keys=True))

    def table(
        self, rows: Sequence[Any], columns: Sequence[tuple[str, str | Callable[[Any], Any]]]
    ) -> None:
        """Records as JSON (with --json) or as a table: columns are (header, field), where
        field is an attribute's name or a function of the record."""
        if self.as_json:
            self.emit(list(rows))
            return
        cells = [
            [_cell(f(row) if callable(f) else getattr(row, f)) for _, f in columns] for row in rows
        ]
        headers = [header for header, _ in columns]
        if not self.out.is_terminal:
            # Into a pipe or a file: every character of every cell (paths can be long),
            # aligned, no trailing blanks: what grep, awk and cut expect.
            widths = [max(len(c) for c in column) for column in zip(headers, *cells, strict=True)]
            for line in [headers, *cells]:
                text = "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True))
                click.echo(text.rstrip())
            return
        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        for header in headers:
            table.add_column(header, overflow="fold")  # wrapped, never cut short
        for line in cells:
            table.add_row(*line)
        self.out.print(table)

    def fail(self, message: str, code: int) -> NoReturn:
        self.err.print(f"vmw: {message}", markup=False)
        raise SystemExit(code)

    def _shows_progress(self) -> bool:
        # Only for a person watching: never into pipes, logs or JSON consumers.
        return sys.stderr.isatty() and not self.as_json

    @contextmanager
    def working(self, description: str) -> Iterator[None]:
        """A spinner on a terminal while one long operation runs; silent otherwise."""
        if not self._shows_progress():
            yield
            return
        with self.err.status(description):
            yield

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[int, int, Any], None]]:
        """A progress bar on a terminal for several targets (a spinner for one)."""
        if not self._shows_progress() or total < 2:
            with self.working(description):
                yield lambda done, total, result: None
            return
        columns = (TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=self.err, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda done, total, result: bar.update(task, completed=done)


def key_values(option: str, values: tuple[str, ...]) -> dict[str, str]:
    """KEY=VALUE options as a dict (the value may hold "=")."""
    found = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r}: KEY=VALUE", param_hint=option)
        found[key] = rest
    return found


@contextmanager
def percent_bar(cx: Context, description: str) -> Iterator[Callable[[int], None]]:
    """A bar of percent done on a terminal; silent otherwise (pipes, logs, --json)."""
    if not sys.stderr.isatty() or cx.as_json:
        yield lambda percent: None
        return
    columns = (TextColumn(description), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=cx.err, transient=True) as bar:
        task = bar.add_task(description, total=100)
        yield lambda percent: bar.update(task, completed=percent)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


def to_json(value: Any) -> Any:
    """Library records as plain JSON: dataclasses by their fields, errors by their message."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in ("exception", "result")
        }
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(getattr(value, "_moId", value))


def exit_code(error: BaseException) -> int:
    for cls, code in EXIT_CODES:
        if isinstance(error, cls):
            return code
    return 1


def obj(ctx: click.Context) -> Context:
    """The command line's state, which the top-level group made."""
    cx = ctx.find_object(Context)
    if cx is None:
        raise RuntimeError("vmw: a command ran outside the vmw group")
    return cx


def confirm(cx: Context, plan: list[str], action: str, yes: bool, dry_run: bool = False) -> bool:
    """Show what a destructive command will do (``plan``, one line per change); ask whether
    to ``action`` ("destroy 3 VMs") unless --yes. False: a dry run, nothing to do. A "no"
    ends the command: "nothing done", exit status 1."""
    for line in plan:
        cx.err.print(f"  {line}", markup=False)
    if dry_run:
        cx.err.print("(dry run: nothing done)")
        return False
    if yes:
        return True
    if not _can_ask():
        cx.fail(f"not confirmed: pass --yes to {action} (no terminal to ask); nothing done", 2)
    if not click.confirm(f"{action[:1].upper()}{action[1:]}?", default=False, err=True):
        cx.fail("not confirmed: nothing done", 1)
    return True


_REQUIRED = {"host": "VMWARE_HOST", "username": "VMWARE_USER", "password": "VMWARE_PASSWORD"}


def _host_list(value: str) -> list[str]:
    """The vCenters a --host or VMWARE_HOST names: one, or a comma list."""
    return [h.strip() for h in value.split(",") if h.strip()]


def _host_entry(entry: str) -> dict[str, Any]:
    """One vCenter of a list as VSphere's arguments: "vc1", "vc2:8443", "https://vc3:8443"
    (a scheme as GOVC_URL takes it; "http" only for simulators and labs)."""
    if entry.count(":") > 1 and "[" not in entry and "://" not in entry:
        return {"host": entry}  # a bare IPv6 address, no port
    parts = urlsplit(entry if "://" in entry else "//" + entry)
    try:
        port = parts.port
    except ValueError:
        raise errors.InvalidInputError(f"{entry!r}: the port is not a number") from None
    if not parts.hostname or parts.path.strip("/") not in ("", "sdk") or parts.username:
        raise errors.InvalidInputError(f"{entry!r} is not a vCenter: host, host:port or URL")
    if parts.scheme and parts.scheme not in ("http", "https"):
        raise errors.InvalidInputError(f"{entry!r}: the scheme is not https (or http)")
    found: dict[str, Any] = {"host": parts.hostname}
    if port is not None:
        found["port"] = port
    if parts.scheme:
        found["protocol"] = parts.scheme
    return found


def _per_host(variable: str, count: int) -> list[str] | None:
    """The comma list of a variable (VMWARE_USERS...), one per vCenter; None when unset."""
    value = os.environ.get(variable, "")
    if not value:
        return None
    values = [v.strip() for v in value.split(",")]
    if len(values) != count or not all(values):
        raise errors.InvalidInputError(
            f"{variable} lists {len(values)} values for {count} vCenters"
        )
    return values


def _can_ask() -> bool:
    return sys.stdin.isatty()


def read_password_file(path: str) -> str:
    """The first line of a password file, as --password-file reads it."""
    try:
        with open(path, encoding="utf-8") as f:
            password = f.readline().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as e:
        raise click.BadParameter(f"cannot read {path}: {e}", param_hint="--password-file") from e
    if not password:
        raise click.BadParameter(f"the first line of {path} is empty", param_hint="--password-file")
    return password


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def report(cx: Context, results: Sequence[Any], what: str) -> None:
    """The outcome of a command on several targets: one line per failure, a summary line
    ("power on: 3 done, 1 failed"), a JSON list with --json, and a non-zero exit status if
    any failed."""
    words = words_of()
    if cx.as_json:
        cx.emit(list(results))
    failed = [r for r in results if not r.ok]
    for r in failed:
        cx.err.print(f"vmw: {r.target}: {words(str(r.error))}", markup=False)
    if not cx.as_json:
        summary = f"{what}: {len(results) - len(failed)} done"
        cx.err.print(summary + (f", {len(failed)} failed" if failed else ""), markup=False)
    if failed:
        if len(failed) < len(results):
            raise SystemExit(PARTIAL_FAILURE)
        # All failed: the status of the first failure's family.
        raise SystemExit(exit_code(failed[0].exception or errors.VSphereError("")))
