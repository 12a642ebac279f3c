"""Shell completion of inventory names: VMs, folders, hosts, datastores, snapshots...

    eval "$(_VMW_COMPLETE=bash_source vmw)"      # or zsh_source, fish_source

    @click.argument("vms", nargs=-1, shell_complete=complete_vm)

A completion runs at every Tab, so names come from a cache file per vCenter and user
(``$XDG_CACHE_HOME/vmw/``, else ``~/.cache/vmw/``: the directory 0700, its files 0600, each
named by a hash of protocol, host, port and user; the password is in neither name nor
content). A file older than CACHE_TTL seconds (or none) is filled again by one bulk read of
the inventory over a connection made with the command line's settings (the options typed
so far, then the environment, as the command itself would use them), without the inventory
watch, and logged out of at once. Snapshot names are read for the VM given on the command
line, and kept SNAPSHOT_TTL seconds.

A completion never asks and never prints: no settings, bad credentials or a server that
cannot be reached within CONNECT_TIMEOUT seconds (not tried again for UNREACHABLE_TTL
seconds) all mean no completions.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import click
from click.shell_completion import CompletionItem

from .. import VSphere, errors
from ._command import LATE_PREFIX

__all__ = [
    "complete_cluster",
    "complete_datastore",
    "complete_find",
    "complete_folder",
    "complete_host",
    "complete_network",
    "complete_object",
    "complete_path",
    "complete_pool",
    "complete_snapshot",
    "complete_vm",
    "complete_vm_or_folder",
]

CACHE_TTL = 60.0  # seconds the inventory's names are used before they are read again
SNAPSHOT_TTL = 10.0  # ... and one VM's snapshot names (a Tab, then another)
UNREACHABLE_TTL = 10.0  # a server that did not answer is not tried again for so long
CONNECT_TIMEOUT = 2.0  # to reach the server and log in
READ_TIMEOUT = 15.0  # for the read once logged in (a large inventory takes a while)

_FORMAT = 1  # of the cache files; another one is read as missing
_GLOB = frozenset("*?[")

# The command line's connection options (their parameter names) and VSphere's keywords.
# Given after the command (``vmw vm on --host vc2 ...``) they are the command's parameters
# with the prefix LATE_PREFIX (see _command.py), and win over those given before it.
_CONNECTION = {
    "host": "host",
    "user": "username",
    "password": "password",
    "port": "port",
    "insecure": "insecure",
    "thumbprint": "thumbprint",
    "ca_file": "ca_file",
}

# Inventory types, by what the commands name.
VMS = frozenset({"VirtualMachine"})  # templates too
FOLDERS = frozenset({"Folder"})
HOSTS = frozenset({"HostSystem"})
CLUSTERS = frozenset({"ClusterComputeResource"})
DATASTORES = frozenset({"Datastore"})
NETWORKS = frozenset({"Network", "DistributedVirtualPortgroup", "OpaqueNetwork"})
POOLS = frozenset({"ResourcePool", "VirtualApp"})
DATACENTERS = frozenset({"Datacenter"})
# `vmw find --type KIND`'s kinds.
FIND_KINDS = {
    "vm": VMS,
    "template": VMS,
    "host": HOSTS,
    "cluster": CLUSTERS,
    "datastore": DATASTORES,
    "network": NETWORKS,
    "folder": FOLDERS,
    "pool": POOLS,
    "datacenter": DATACENTERS,
}

T = TypeVar("T")


class _Item(NamedTuple):
    type: str
    name: str
    path: str


# -- the callbacks (click's shell_complete=) -----------------------------------------------


def complete_vm(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """VM and template names; their inventory paths once the word starts with '/'."""
    return _quietly(lambda: _inventory_words(ctx, incomplete, VMS))


def complete_vm_or_folder(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """VM and template names; paths of VMs, templates and folders after '/' (VM... FOLDER)."""

    def words() -> list[CompletionItem]:
        if incomplete.startswith("/"):
            return _inventory_words(ctx, incomplete, VMS | FOLDERS)
        return _inventory_words(ctx, incomplete, VMS)

    return _quietly(words)


def _completer(
    kinds: Collection[str] | None, summary: str, *, paths_first: bool = False
) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    """A click ``shell_complete`` callback offering objects of these kinds (None: any)."""

    def complete(
        ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return _quietly(lambda: _inventory_words(ctx, incomplete, kinds, paths_first=paths_first))

    complete.__doc__ = summary
    return complete


complete_folder = _completer(
    FOLDERS, "Folder paths (names, once a word not starting with '/' is begun).", paths_first=True
)
complete_host = _completer(HOSTS, "Host (ESXi) names; paths after '/'.")
complete_cluster = _completer(CLUSTERS, "Cluster names; paths after '/'.")
complete_datastore = _completer(DATASTORES, "Datastore names; paths after '/'.")
complete_network = _completer(NETWORKS, "Network and port group names; paths after '/'.")
complete_pool = _completer(
    POOLS,
    'Resource pool (and vApp) paths: pools\' names repeat ("Resources"); names once begun.',
    paths_first=True,
)
complete_object = _completer(None, "Names of objects of any kind; paths after '/'.")
complete_path = _completer(
    None,
    "Inventory paths of objects of any kind (names, once a word not starting with '/' is begun).",
    paths_first=True,
)


def complete_find(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Names (paths after '/') of the kind that ``--type`` chose before, else of any kind."""

    def words() -> list[CompletionItem]:
        kind = ctx.params.get("kind")
        types = FIND_KINDS.get(kind) if isinstance(kind, str) else None
        return _inventory_words(ctx, incomplete, types)

    return _quietly(words)


def complete_snapshot(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Snapshot names of the VM given before on the command line (its ``vm`` argument);
    their paths ("parent/child") once the word has a '/'."""

    def words() -> list[CompletionItem]:
        vm = ctx.params.get("vm") or ctx.params.get("vm_name")
        if not isinstance(vm, str) or not vm or _GLOB & set(vm) or _GLOB & set(incomplete):
            return []
        snapshots = [_Item("snapshot", name, path) for name, path in _snapshots(ctx, vm)]
        return _words(snapshots, incomplete, by_path="/" in incomplete)

    return _quietly(words)


# -- choosing the words ----------------------------------------------------------------------


def _quietly(produce: Callable[[], list[CompletionItem]]) -> list[CompletionItem]:
    """What ``produce`` offers; nothing at all if anything goes wrong. A completion must not
    print into the shell (a warning, a traceback), nor ever ask."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return produce()
    except (Exception, KeyboardInterrupt):
        return []


def _inventory_words(
    ctx: click.Context,
    incomplete: str,
    types: Collection[str] | None,
    *,
    paths_first: bool = False,
) -> list[CompletionItem]:
    if _GLOB & set(incomplete):
        return []  # a pattern, not a name
    items = [i for i in _inventory(ctx) if types is None or i.type in types]
    by_path = incomplete.startswith("/") or (paths_first and not incomplete)
    return _words(items, incomplete, by_path=by_path)


def _words(items: Iterable[_Item], incomplete: str, *, by_path: bool) -> list[CompletionItem]:
    """The paths (or names) that begin with ``incomplete``, sorted, each once. A name that
    only one object has shows its path as help (zsh and fish show it)."""
    if by_path:
        found = {i.path for i in items if i.path != "/" and i.path.startswith(incomplete)}
        return [CompletionItem(path) for path in sorted(found)]
    chosen = [i for i in items if i.name.startswith(incomplete)]
    counts = Counter(i.name for i in chosen)
    path_of = {i.name: i.path for i in chosen if counts[i.name] == 1 and i.path != i.name}
    return [CompletionItem(name, help=path_of.get(name)) for name in sorted(counts)]


# -- names, cached -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """Where the command line would connect: VSphere's keywords from its options (the rest
    comes from the environment), and the cache's key."""

    options: dict[str, Any] = field(repr=False)  # a password among them
    password_file: str | None
    key: str


def _target(ctx: click.Context) -> _Target | None:
    """The connection options typed so far: the top-level group's, then those given after
    the command, which win (as when the command runs). None without a host or a user."""
    contexts: list[click.Context] = []
    current: click.Context | None = ctx
    while current is not None:
        contexts.insert(0, current)
        current = current.parent
    given: dict[str, Any] = {}
    for depth, context in enumerate(contexts):
        prefix = "" if depth == 0 else LATE_PREFIX
        for name in (*_CONNECTION, "password_file"):
            value = context.params.get(prefix + name)
            if isinstance(value, tuple):  # --host, which may be repeated
                value = ",".join(value) or None
            if value is not None:
                given[name] = value
    password_file = given.pop("password_file", None)
    options = {_CONNECTION[name]: value for name, value in given.items()}
    settings = {**VSphere.settings_from_env(), **options}
    host, user = settings.get("host"), settings.get("username")
    if not host or not user or "," in str(host):
        return None  # several vCenters: no completion (one connection each would be slow)
    address = (
        f"{settings.get('protocol', 'https')}://{user}@{str(host).lower()}"
        f":{settings.get('port', 443)}"
    )
    key = hashlib.sha256(address.encode()).hexdigest()[:32]
    return _Target(options, password_file, key)


def _inventory(ctx: click.Context) -> list[_Item]:
    """Every object's type, name and path: from the cache, else from one bulk read."""
    target = _target(ctx)
    if target is None:
        return []
    rows = _read(target.key, "inventory", CACHE_TTL)
    if rows is None:
        rows = _fetch(
            target,
            "inventory",
            lambda vs: [[i.type, i.name, i.path] for i in vs.find_items("entity")],
        )
    return [_Item(str(t), str(name), str(path)) for t, name, path in rows]


def _snapshots(ctx: click.Context, vm: str) -> list[tuple[str, str]]:
    """A VM's snapshots' names and paths: kept briefly, for the last VM asked about only."""
    target = _target(ctx)
    if target is None:
        return []
    kept = _read(target.key, "snapshots", SNAPSHOT_TTL)
    if isinstance(kept, dict) and kept.get("vm") == vm:
        rows = kept["snapshots"]
    else:
        rows = _fetch(
            target,
            "snapshots",
            lambda vs: [[s.name, s.path] for s in vs.list_snapshots(vm)],
            wrap=lambda rows: {"vm": vm, "snapshots": rows},
        )
    return [(str(name), str(path)) for name, path in rows]


def _fetch(
    target: _Target,
    kind: str,
    read: Callable[[VSphere], T],
    wrap: Callable[[T], Any] = lambda data: data,
) -> T:
    """What ``read`` reads over a connection of its own, kept in the cache as ``kind``."""
    if _read(target.key, "unreachable", UNREACHABLE_TTL):
        raise errors.ConnectError("not answering a moment ago")
    options = dict(target.options)
    if target.password_file is not None:
        options["password"] = _read_password_file(target.password_file)
    try:
        data = _with_connection(options, read)
    except (errors.ConnectError, errors.OperationTimeout):
        with contextlib.suppress(OSError, RuntimeError):
            _write(target.key, "unreachable", True)
        raise
    with contextlib.suppress(OSError, RuntimeError):
        _write(target.key, kind, wrap(data))
    return data


def _read_password_file(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.readline().rstrip("\r\n")


def _with_connection(options: dict[str, Any], read: Callable[[VSphere], T]) -> T:
    """Connect (quickly, without the inventory watch), ``read``, log out. On a thread of its
    own, so that a server that takes its time is given up on: the thread is left behind, and
    ends with the process."""
    outcome: dict[str, Any] = {}
    answered = threading.Event()  # connected, or failed to
    finished = threading.Event()

    def run() -> None:
        try:
            vs = VSphere.from_env(
                **options,
                logger=_SILENT,
                retry_timeout=0.0,
                request_timeout=READ_TIMEOUT,
                watch_inventory=False,
            )
        except Exception as e:
            outcome["error"] = e
            answered.set()
            finished.set()
            return
        answered.set()
        try:
            outcome["result"] = read(vs)
        except Exception as e:
            outcome["error"] = e
        finally:
            with contextlib.suppress(Exception):
                vs.close()
            finished.set()

    threading.Thread(target=run, name="vmw-completion", daemon=True).start()
    if not answered.wait(CONNECT_TIMEOUT):
        raise errors.ConnectError(f"no answer within {CONNECT_TIMEOUT:g} s")
    if not finished.wait(READ_TIMEOUT):
        raise TimeoutError(f"no names within {READ_TIMEOUT:g} s")
    if "error" in outcome:
        raise outcome["error"]
    result: T = outcome["result"]
    return result


def _silent_logger() -> logging.Logger:
    # Outside the logging tree: nothing it logs reaches a handler (or stderr).
    logger = logging.Logger("vmw-completion", logging.CRITICAL + 1)
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


_SILENT = _silent_logger()


# -- the cache files -------------------------------------------------------------------------


def _cache_dir() -> Path:
    """``$XDG_CACHE_HOME/vmw`` (else ``~/.cache/vmw``), made 0700; refused unless it is a
    directory of this user's."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    directory = root / "vmw"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        raise OSError(f"{directory} is not a directory of this user's")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(directory, 0o700)
    return directory


def _read(key: str, kind: str, ttl: float) -> Any:
    """What the cache holds as ``kind`` if it is younger than ``ttl`` seconds, else None."""
    try:
        with open(_cache_dir() / f"{key}.{kind}.json", encoding="utf-8") as f:
            record = json.load(f)
        age = time.time() - float(record["time"])
        if record["format"] != _FORMAT or not 0 <= age < ttl:
            return None
        return record["data"]
    except (OSError, RuntimeError, ValueError, KeyError, TypeError):
        return None


def _write(key: str, kind: str, data: Any) -> None:
    """Keep ``data`` as ``kind``: written to a new file (0600), which then replaces the old
    one, so that a reader sees the one or the other, whole."""
    directory = _cache_dir()
    fd, temporary = tempfile.mkstemp(prefix=f".{key}.{kind}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"format": _FORMAT, "time": time.time(), "data": data}, f)
        os.replace(temporary, directory / f"{key}.{kind}.json")
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
