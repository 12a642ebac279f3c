"""Bulk runs across a fleet: each vCenter's share of the targets run by that vCenter's own bulk
machinery (one task watch per vCenter), all vCenters at once.

    results = fleet.bulk("power_on", ["vc1:web-01", "db-07", "vc3:/DC2/vm/app"], per_vcenter=10)
    results = fleet.bulk("shutdown", "web-*", executor=ProcessPoolExecutor(4))

vCenter, not the client, is what a bulk run waits on: each vCenter gets at most
``per_vcenter`` operations at a time, and all together at most ``concurrency``. A vCenter that
fails as a whole (it is down, its session is gone) fails its own targets, each recorded with
the error, while the others go on.

With ``executor=`` (any concurrent.futures.Executor: a process pool, a distributed engine's
executor) each vCenter's share is a job for it. What a job carries is picklable: the vCenter's
connection settings (the password inside an object that never shows it in a repr or a log),
the operation's name, the targets as text, the keyword arguments; each worker process keeps
one connection per vCenter for the jobs it runs.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ._base.names import is_glob
from ._operations.bulk import BulkProgress, BulkResult
from ._vsphere import VSphere
from .errors import InvalidInputError, VSphereError

if TYPE_CHECKING:
    from ._fleet import Fleet


class Secret:
    """A password on its way to a worker: pickled with the job, never shown."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __getstate__(self) -> str:
        return self.value

    def __setstate__(self, value: str) -> None:
        self.value = value


@dataclass(frozen=True)
class Share:
    """One vCenter's part of a fleet's bulk run, as a job: all of it picklable."""

    vcenter: str
    settings: dict[str, Any]  # VSphere's keyword arguments; "password" a Secret
    operation: str
    targets: str | tuple[str, ...]  # a glob, or names, paths or ids, as that vCenter knows them
    concurrency: int
    timeout: float | None
    kwargs: dict[str, Any]


def run(
    fleet: Fleet,
    operation: Any,
    selection: Any,
    *,
    concurrency: int,
    per_vcenter: int,
    timeout: float | None,
    on_progress: BulkProgress | None,
    executor: Executor | None,
    kwargs: dict[str, Any],
) -> list[BulkResult]:
    if not isinstance(operation, str) or not hasattr(VSphere, operation):
        raise InvalidInputError(
            f"operation={operation!r}: on a fleet, the name of a VSphere method ('power_on')"
        )
    for name, value in (("concurrency", concurrency), ("per_vcenter", per_vcenter)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidInputError(f"{name}={value!r}: a whole number, 1 or more")
    if executor is not None and not isinstance(executor, Executor):
        raise InvalidInputError(f"executor={executor!r}: a concurrent.futures.Executor")
    parts, order = _split(fleet, selection)
    each = max(1, min(per_vcenter, concurrency // max(1, len(parts))))
    progress = _Progress(on_progress, len(order) if order else None)

    if executor is None:
        outcomes = fleet.each_of(
            list(parts),
            lambda name, vs: vs.bulk(
                operation, parts[name], concurrency=each, timeout=timeout,
                on_progress=progress.relay(name), **kwargs,
            ),
        )  # fmt: skip
    else:
        shares = [
            Share(name, _settings(fleet[name]), operation, _portable_selection(targets), each,
                  timeout, dict(kwargs))
            for name, targets in parts.items()
        ]  # fmt: skip
        futures: dict[str, Future[list[BulkResult]]] = {
            share.vcenter: executor.submit(run_share, share) for share in shares
        }
        outcomes = {}
        for name, future in futures.items():
            try:
                outcomes[name] = future.result()
            except Exception as e:  # the job as a whole: its targets fail with it
                outcomes[name] = e
            relay = progress.relay(name)
            if relay is not None and not isinstance(outcomes[name], BaseException):
                for result in outcomes[name]:
                    relay(0, 0, result)

    results: dict[str, list[BulkResult]] = {}
    for name, outcome in outcomes.items():
        if isinstance(outcome, BaseException):
            given = parts[name]
            targets = [given] if isinstance(given, str) else given
            results[name] = [_failed(_label(t), outcome) for t in targets]
        else:
            results[name] = list(outcome)
    return _in_order(results, order)


def run_share(share: Share) -> list[BulkResult]:
    """A worker's job: one vCenter's share, on the worker's own connection to it."""
    vs = _worker_connection(share.vcenter, share.settings)
    results = vs.bulk(
        share.operation,
        share.targets if isinstance(share.targets, str) else list(share.targets),
        concurrency=share.concurrency,
        timeout=share.timeout, **share.kwargs,
    )  # fmt: skip
    # What goes back is picklable: no pyVmomi objects, no exception objects (their text is).
    return [replace(r, result=_portable(vs, r.result), exception=None) for r in results]


# -- where each target goes --------------------------------------------------------------------


def _split(fleet: Fleet, selection: Any) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """Each vCenter's targets (as that vCenter knows them), and for a list the order of the
    targets as given ((vCenter, index in its share)); a glob keeps each vCenter's own order."""
    if isinstance(selection, str):
        name, rest = fleet.split(selection)
        if name is not None:
            return {name: rest}, []
        if is_glob(selection):  # every vCenter's matches
            return dict.fromkeys(fleet.names, selection), []
        name, rest = fleet.locate(selection, "vm" if "/" not in selection.strip("/") else "folder")
        return {name: rest}, []
    if not isinstance(selection, (list, tuple)):
        selection = [selection]
    parts: dict[str, list[Any]] = {}
    order: list[tuple[str, int]] = []
    located = fleet.locate_many(list(selection))
    for name, local in located:
        parts.setdefault(name, []).append(local)
        order.append((name, len(parts[name]) - 1))
    return parts, order


def _in_order(
    results: dict[str, list[BulkResult]], order: list[tuple[str, int]]
) -> list[BulkResult]:
    qualified = {
        name: [replace(r, target=f"{name}:{r.target}") for r in found]
        for name, found in results.items()
    }
    if not order:
        return [r for found in qualified.values() for r in found]
    return [qualified[name][i] for name, i in order]


def _portable_selection(targets: Any) -> str | tuple[str, ...]:
    return targets if isinstance(targets, str) else tuple(_label(t) for t in targets)


def _label(target: Any) -> str:
    """A target as text: a name or path as given, a managed object by its id."""
    if isinstance(target, str):
        return target
    moid = getattr(target, "_moId", None)
    return f"{type(target).__name__}:{moid}" if moid else str(target)


def _failed(target: str, error: BaseException) -> BulkResult:
    return BulkResult(
        target=target, ok=False, error=str(error), error_type=type(error).__name__,
        exception=error,
    )  # fmt: skip


class _Progress:
    """The fleet's count of targets done, told to ``on_progress`` as each vCenter's are."""

    def __init__(self, on_progress: BulkProgress | None, total: int | None) -> None:
        self.on_progress, self.total, self.done = on_progress, total, 0
        self.lock = threading.Lock()

    def relay(self, vcenter: str) -> BulkProgress | None:
        if self.on_progress is None:
            return None
        tell = self.on_progress

        def relayed(done: int, total: int, result: BulkResult) -> None:
            with self.lock:
                self.done += 1
                done_now = self.done
            qualified = replace(result, target=f"{vcenter}:{result.target}")
            tell(done_now, self.total or done_now, qualified)

        return relayed


# -- a worker's connections --------------------------------------------------------------------

_WORKER_CONNECTIONS: dict[str, VSphere] = {}
_WORKER_LOCK = threading.Lock()


def _worker_connection(vcenter: str, settings: dict[str, Any]) -> VSphere:
    """This process's connection to the vCenter, made on its first job."""
    with _WORKER_LOCK:
        vs = _WORKER_CONNECTIONS.get(vcenter)
        if vs is None:
            given = dict(settings)
            password = given.pop("password")
            secret = password.value if isinstance(password, Secret) else password
            vs = VSphere(password=secret, **given)
            _WORKER_CONNECTIONS[vcenter] = vs
        return vs


def _settings(vs: VSphere) -> dict[str, Any]:
    """What a worker connects to this vCenter with."""
    s = vs._session.settings
    return {
        "host": s.host,
        "username": s.username,
        "password": Secret(s.password),
        "port": s.port,
        "protocol": s.protocol,
        "insecure": s.tls.insecure,
        "thumbprint": s.tls.thumbprint,
        "ca_file": s.tls.ca_file,
    }


def _portable(vs: VSphere, value: Any) -> Any:
    """A result a worker can send back: a managed object as its inventory path."""
    if hasattr(value, "_moId"):
        try:
            return vs.path_of(value)
        except VSphereError:
            return f"{type(value).__name__}:{value._moId}"
    return value
