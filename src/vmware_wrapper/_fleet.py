"""Fleet: several vCenters held together, and every VSphere operation on all of them by name.

    with Fleet.from_env() as fleet:                   # VMWARE_HOST="vc1,vc2,vc3"
        fleet.power_on("vc2:/DC1/vm/web-07")          # qualified: that vCenter
        fleet.power_on("db-01")                       # bare: the one vCenter that has it
        for info in fleet.list_vms("web-*"):          # every vCenter, info.vcenter says which
            ...

A vCenter is named by its host name (with ":port" when the port is not 443), or by the names
given to ``Fleet({...})``. A name qualified with it ("vc2:web-07", "vc2:/DC1/vm/web-07") goes to
that vCenter alone; a bare name is looked up in every vCenter at once, and must be found in
exactly one: the same name in two vCenters is an AmbiguousNameError listing each qualified
path, never a guess. A vCenter that cannot be asked makes a bare name uncertain: that is a
ConnectError, not a guess either.

Listings (``list_vms``, ``list_hosts``, ``list_networks``, ``find``, ``find_items``) ask every
vCenter at once and return what all of them found, in the fleet's order.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import replace
from types import TracebackType
from typing import Any

from ._base.models import HostInfo, NetworkInfo, VMInfo
from ._base.types import Selection
from ._operations.bulk import BulkProgress, BulkResult
from ._transport.env import settings_from_env
from ._vsphere import VSphere
from .errors import AmbiguousNameError, ConnectError, InvalidInputError, NotFoundError, VSphereError

# What the first parameter of a VSphere method names, for a bare name's lookup in every
# vCenter (VSphere.get's kinds); methods whose first parameter is not here are routed by a
# qualified argument, or need one when the fleet has several vCenters.
_KIND_OF_PARAMETER = {
    "vm": "vm",
    "source": "vm",
    "host": "host",
    "cluster": "cluster",
    "datastore": "datastore",
    "pool": "resource_pool",
    "portgroup": "network",
    "network": "network",
    "dvs": "dvs",
    "obj": "entity",
    "folder": "folder",
    "path": "datacenter",  # a path may name what is yet to be made: its datacenter says where
}
# Placement keywords, tried in this order when the first argument does not say where to go.
_PLACEMENT = (("host", "host"), ("cluster", "cluster"), ("resource_pool", "resource_pool"),
              ("folder", "folder"), ("datastore", "datastore"))  # fmt: skip
# The parameters that name something of a vCenter, and so may be qualified with it; free
# text (a new name, notes, a description) is never taken apart.
_NAMING = {
    *_KIND_OF_PARAMETER, *(k for k, _ in _PLACEMENT),
    "objs", "target", "destination", "datastore_path", "item",
}  # fmt: skip
# Methods whose first parameter is a local file, not an object of a vCenter.
_FILE_FIRST = {"deploy_ovf", "upload_file"}
_WITH_VCENTER = (VMInfo, HostInfo, NetworkInfo)
_LISTINGS = {"list_vms", "list_hosts", "list_networks", "find", "find_items"}
_NOT_ROUTED = {"close", "from_env", "settings_from_env"}


class Fleet:
    """Several VSphere connections, made and held together; see the module's docstring.

    ``Fleet([vs1, vs2])`` or ``Fleet({"vc1": vs1, "vc2": vs2})`` holds connections made
    elsewhere (and closes them with ``close()``); ``Fleet.connect`` and ``Fleet.from_env``
    make them, all at once.
    """

    def __init__(self, members: Sequence[VSphere] | Mapping[str, VSphere]) -> None:
        if isinstance(members, Mapping):
            named = dict(members)
        else:
            named = {}
            for vs in members:
                if vs.vcenter in named:
                    raise InvalidInputError(f"two connections to {vs.vcenter!r}")
                named[vs.vcenter] = vs
        if not named:
            raise InvalidInputError("a fleet needs at least one vCenter")
        for name, vs in named.items():
            if not isinstance(vs, VSphere):
                raise InvalidInputError(f"{name!r}: {vs!r} is not a VSphere connection")
            if not name or ":" in name.rstrip("0123456789").rstrip(":"):
                raise InvalidInputError(f"{name!r} cannot name a vCenter (no ':' but a port's)")
        self._members = named

    # -- making and ending ---------------------------------------------------------------

    @classmethod
    def connect(cls, settings: Iterable[Mapping[str, Any]]) -> Fleet:
        """Connect to every vCenter at once; each mapping holds VSphere's arguments
        (``host``, ``username``, ``password``, ``port``, ``thumbprint``...). Should one fail,
        the others are closed again and its error is raised.

            fleet = Fleet.connect([{"host": "vc1", "username": u, "password": p}, ...])
        """
        wanted = [dict(s) for s in settings]
        if not wanted:
            raise InvalidInputError("Fleet.connect: no vCenter to connect to")
        known = set(inspect.signature(VSphere).parameters)
        for i, kwargs in enumerate(wanted, 1):
            unknown = sorted(set(kwargs) - known)
            if unknown:
                raise InvalidInputError(
                    f"Fleet.connect: settings #{i} have {', '.join(unknown)}, which VSphere "
                    f"does not take; it takes {', '.join(sorted(known))}"
                )
        with ThreadPoolExecutor(max_workers=min(8, len(wanted))) as pool:
            futures = [pool.submit(VSphere, **kwargs) for kwargs in wanted]
        made: list[VSphere] = []
        failure: BaseException | None = None
        for future in futures:
            try:
                made.append(future.result())
            except BaseException as e:  # closed below, then raised
                failure = failure or e
        if failure is not None:
            for vs in made:
                vs.close()
            raise failure
        try:
            return cls(made)
        except BaseException:  # refused (two connections to one vCenter): none left open
            for vs in made:
                vs.close()
            raise

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Fleet:
        """The vCenters of ``VMWARE_HOST`` ("vc1,vc2,vc3"; "host:port" for another port than
        ``VMWARE_PORT``), each with the same user and
        password (``VMWARE_USER``, ``VMWARE_PASSWORD`` or its file), unless ``VMWARE_USERS`` /
        ``VMWARE_PASSWORDS`` list one per host, in order, comma-separated; the other settings
        as ``VSphere.from_env`` reads them.

            fleet = Fleet.from_env()
        """
        env = dict(os.environ if env is None else env)
        hosts = [h.strip() for h in env.get("VMWARE_HOST", "").split(",") if h.strip()]
        if not hosts:
            raise InvalidInputError("VMWARE_HOST names no vCenter (vc1,vc2,...)")
        users = _per_host(env, "VMWARE_USERS", hosts)
        passwords = _per_host(env, "VMWARE_PASSWORDS", hosts)
        settings = []
        for i, entry in enumerate(hosts):
            host, port = _host_and_port(entry)
            one = {**env, "VMWARE_HOST": host}
            if port is not None:
                one["VMWARE_PORT"] = port
            if env.get("GOVC_URL"):
                # govc's variable names one server; its scheme (http or https) holds for all.
                scheme = env["GOVC_URL"].split("://")[0] if "://" in env["GOVC_URL"] else "https"
                where = f"[{host}]" if ":" in host else host
                one["GOVC_URL"] = f"{scheme}://{where}" + (f":{port}" if port else "") + "/sdk"
            if users is not None:
                one["VMWARE_USER"] = users[i]
            if passwords is not None:
                one["VMWARE_PASSWORD"] = passwords[i]
            settings.append(settings_from_env(one))
        return cls.connect(settings)

    def close(self) -> None:
        """Close every connection."""
        for vs in self._members.values():
            vs.close()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- the vCenters --------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """The vCenters' names, in the fleet's order."""
        return list(self._members)

    def __getitem__(self, name: str) -> VSphere:
        try:
            return self._members[name]
        except KeyError:
            raise NotFoundError(
                f"no vCenter {name!r} in the fleet; it has {', '.join(self._members)}"
            ) from None

    def __len__(self) -> int:
        return len(self._members)

    def __repr__(self) -> str:
        return f"<Fleet {', '.join(self._members)}>"

    def each(self, call: Callable[[VSphere], Any]) -> dict[str, Any]:
        """``call(vs)`` on every vCenter at once: its result, or the error it raised, by
        vCenter name."""
        with ThreadPoolExecutor(max_workers=min(8, len(self._members))) as pool:
            futures = {name: pool.submit(call, vs) for name, vs in self._members.items()}
        found: dict[str, Any] = {}
        for name, future in futures.items():
            try:
                found[name] = future.result()
            except VSphereError as e:
                found[name] = e
        return found

    def each_of(self, names: Sequence[str], call: Callable[[str, VSphere], Any]) -> dict[str, Any]:
        """``call(name, vs)`` on these vCenters at once: its result, or any exception it
        raised, by name (a vCenter that fails does not stop the others)."""
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(names)))) as pool:
            futures = {n: pool.submit(call, n, self._members[n]) for n in names}
        found: dict[str, Any] = {}
        for name, future in futures.items():
            try:
                found[name] = future.result()
            except Exception as e:
                found[name] = e
        return found

    def load(self) -> None:
        """Load every vCenter's inventory index at once (otherwise each loads on first use)."""
        for outcome in self.each(lambda vs: vs.find("datacenter", "*")).values():
            if isinstance(outcome, VSphereError):
                raise outcome

    # -- names across vCenters -----------------------------------------------------------

    def split(self, ref: Any) -> tuple[str | None, Any]:
        """(vCenter, the rest) of a qualified name ("vc2:/DC1/vm/web-07"), or (None, ref)."""
        if isinstance(ref, str):
            for name in sorted(self._members, key=len, reverse=True):
                if ref.startswith(name + ":") and len(ref) > len(name) + 1:
                    return name, ref[len(name) + 1 :]
        return None, ref

    def owner_of(self, obj: Any) -> str | None:
        """The vCenter a pyVmomi object came from, if one of the fleet's."""
        stub = getattr(obj, "_stub", None)
        for name, vs in self._members.items():
            if stub is not None and stub is vs._session.stub:
                return name
        return None

    def locate(self, ref: Any, kind: str = "vm") -> tuple[str, Any]:
        """(vCenter, what to give that vCenter) for a name, qualified or bare, or an object;
        a bare name is looked up in every vCenter at once and must be found in one."""
        name, rest = self.split(ref)
        if name is not None:
            return name, rest
        owner = self.owner_of(ref)
        if owner is not None:
            return owner, ref
        if len(self._members) == 1:
            return next(iter(self._members)), ref
        found = self.each(lambda vs: vs.path_of(vs.get(kind, ref)))
        hits = {n: p for n, p in found.items() if not isinstance(p, VSphereError)}
        wrong = [e for e in found.values() if isinstance(e, InvalidInputError)]
        if wrong:  # the same input everywhere: what is wrong with it, not who did not answer
            raise wrong[0]
        unsure = {
            n: e for n, e in found.items()
            if isinstance(e, VSphereError) and not isinstance(e, NotFoundError)
        }  # fmt: skip
        ambiguous = [e for e in unsure.values() if isinstance(e, AmbiguousNameError)]
        if len(hits) > 1 or ambiguous:
            candidates = [f"{n}:{p}" for n, p in hits.items()]
            for n, e in found.items():
                if isinstance(e, AmbiguousNameError):
                    candidates += [f"{n}:{c}" for c in e.candidates]
            raise AmbiguousNameError(
                f"{ref!r} is in {len(candidates)} places across the fleet: "
                f"{', '.join(candidates)}; qualify it with its vCenter",
                candidates=candidates,
            )
        if unsure:
            down = ", ".join(f"{n} ({e})" for n, e in unsure.items())
            raise ConnectError(f"cannot tell where {ref!r} is: not every vCenter answered: {down}")
        if not hits:
            raise NotFoundError(f"no {kind} {ref!r} in any of {', '.join(self._members)}")
        return next(iter(hits)), ref

    def locate_many(self, refs: Sequence[Any], kind: str = "vm") -> list[tuple[str, Any]]:
        """``locate`` for each of ``refs``, in order (bare names looked up a few at a time)."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(lambda ref: self.locate(ref, kind), refs))

    def bulk(
        self,
        operation: str,
        selection: Selection,
        *,
        concurrency: int = 20,
        per_vcenter: int = 10,
        timeout: float | None = None,
        on_progress: BulkProgress | None = None,
        executor: Executor | None = None,
        **kwargs: Any,
    ) -> list[BulkResult]:
        """An operation on many targets across the fleet, each vCenter's share at once.

            results = fleet.bulk("power_on", ["vc1:web-01", "db-07"], per_vcenter=10)

        ``selection``: a list of names (qualified or bare: a bare name is looked up in every
        vCenter and must be in one), a glob over every vCenter's VMs ("web-*") or one's
        ("vc2:web-*"). Each vCenter runs its share with its own bulk machinery, at most
        ``per_vcenter`` at a time and all together at most ``concurrency``; a vCenter that
        fails as a whole fails its own targets (each recorded) while the others go on.
        ``executor`` (a process pool, a distributed engine's executor) runs each share as
        a job of its own (see ``_fleet_bulk``). Returns a BulkResult per target, its target
        qualified with its vCenter, in the order given (a glob: vCenter by vCenter).
        """
        from . import _fleet_bulk

        return _fleet_bulk.run(
            self, operation, selection, concurrency=concurrency, per_vcenter=per_vcenter,
            timeout=timeout, on_progress=on_progress, executor=executor, kwargs=kwargs,
        )  # fmt: skip

    # -- every VSphere operation ---------------------------------------------------------

    def list_vms(self, pattern: str = "*") -> list[VMInfo]:
        """VMs of every vCenter whose name (or path) matches; ``info.vcenter`` says whose.

        infos = fleet.list_vms("web-*")
        """
        return [
            replace(info, vcenter=name)
            for name, infos in self._listing("list_vms", (pattern,), {}).items()
            for info in infos
        ]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in _NOT_ROUTED or not hasattr(VSphere, name):
            raise AttributeError(name)
        if name in _LISTINGS:
            return lambda *args, **kwargs: [
                _as_of(member, item)
                for member, items in self._listing(name, args, kwargs).items()
                for item in items
            ]
        method = getattr(VSphere, name)
        if not callable(method):
            raise AttributeError(f"{name}: a property of each vCenter: fleet[vcenter].{name}")
        parameters = list(_parameters(method))

        def routed(*args: Any, **kwargs: Any) -> Any:
            member, args, kwargs = self._route(name, parameters, args, kwargs)
            return _as_of(member, getattr(self._members[member], name)(*args, **kwargs))

        routed.__name__ = name
        routed.__doc__ = method.__doc__
        return routed

    def _listing(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        found = self.each(lambda vs: getattr(vs, name)(*args, **kwargs))
        for outcome in found.values():
            if isinstance(outcome, VSphereError):
                raise outcome
        return found

    def _route(
        self, method: str, parameters: list[str], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """Which vCenter a call goes to, and its arguments with the qualifiers taken off."""
        named: set[str] = set()
        new_args = []
        for i, value in enumerate(args):
            key = parameters[i] if i < len(parameters) else ""
            member, rest = self.split(value) if key in _NAMING else (None, value)
            if member is not None:
                named.add(member)
            new_args.append(rest)
        new_kwargs = {}
        for key, value in kwargs.items():
            member, rest = self.split(value) if key in _NAMING else (None, value)
            if member is not None:
                named.add(member)
            new_kwargs[key] = rest
        if len(named) > 1:
            raise InvalidInputError(
                f"{method}: the arguments name {len(named)} vCenters ({', '.join(sorted(named))});"
                " one call runs on one vCenter"
            )
        if named:
            return named.pop(), tuple(new_args), new_kwargs
        if len(self._members) == 1:
            return next(iter(self._members)), args, kwargs
        # A bare first argument that names something: where it is.
        first = parameters[0] if parameters else None
        if first in _KIND_OF_PARAMETER and method not in _FILE_FIRST:
            value = args[0] if args else kwargs.get(first)
            if first == "path" and isinstance(value, str):
                value = next((s for s in value.split("/") if s), value)  # the datacenter
            if value is not None and not isinstance(value, (list, tuple, set)):
                try:
                    return self.locate(value, _KIND_OF_PARAMETER[first])[0], args, kwargs
                except NotFoundError:
                    # Not an object of any vCenter (a library item as a clone's source):
                    # where it is placed says where it goes, if the call says.
                    if not any(kwargs.get(k) is not None for k, _ in _PLACEMENT):
                        raise
        for keyword, kind in _PLACEMENT:
            if kwargs.get(keyword) is not None:
                return self.locate(kwargs[keyword], kind)[0], args, kwargs
        raise InvalidInputError(
            f"{method}: which vCenter? Qualify a name ('{self.names[0]}:...') or use "
            f"fleet['{self.names[0]}'].{method}(...)"
        )


def _as_of(member: str, result: Any) -> Any:
    """A result whose records (VMInfo, HostInfo, NetworkInfo) name their vCenter as the
    fleet names it."""
    if isinstance(result, _WITH_VCENTER):
        return replace(result, vcenter=member)
    if isinstance(result, list) and result and all(isinstance(r, _WITH_VCENTER) for r in result):
        return [replace(r, vcenter=member) for r in result]
    return result


def _parameters(method: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(method).parameters)[1:]


def _host_and_port(entry: str) -> tuple[str, str | None]:
    """("vc1", "8443") of "vc1:8443"; ("vc1", None) of "vc1" (an IPv6 address keeps its
    colons unless bracketed: "[::1]:8443")."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") and rest[1:].isdigit() else None
    host, sep, port = entry.rpartition(":")
    if sep and host and ":" not in host and port.isdigit():
        return host, port
    return entry, None


def _per_host(env: Mapping[str, str], key: str, hosts: list[str]) -> list[str] | None:
    """The values ``env[key]`` lists, one per host, or None when it is not set."""
    if not env.get(key):
        return None
    values = [v.strip() for v in env[key].split(",")]
    if len(values) != len(hosts) or not all(values):
        raise InvalidInputError(f"{key} lists {len(values)} values for {len(hosts)} hosts")
    return values
