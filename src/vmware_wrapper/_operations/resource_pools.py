"""Resource pools: made as ``mkdir -p`` does, changed, destroyed.

    create_resource_pool(ops, path="/DC0/host/C0/Resources/web/prod", cpu_shares="high", ...)
    update_resource_pool(ops, pool="/DC0/host/C0/Resources/web", memory_limit_mb=4096, ...)
    destroy_resource_pool(ops, pool="/DC0/host/C0/Resources/web")

A pool's path runs through its cluster's (or standalone host's) root pool, "Resources":
"/DC0/host/C0/Resources/web". The path without it, "/DC0/host/C0/web", is accepted too, as
govc's pool.create accepts it.

Settings, all checked before anything is sent: shares "low", "normal", "high" or a custom
number; a reservation (MHz for CPU, MB for memory) of 0 or more; a limit of -1 (none) or at
least the reservation; whether the reservation may grow into the parent's (expandable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._base.names import escape_name, split_path, unescape_name
from .._base.vmomi import vim
from .._inventory.tree import KINDS, Entry
from .._transport.faults import describing, is_fault
from .._transport.retrieve import Ref
from ..errors import AmbiguousNameError, InvalidInputError, NotFoundError, VSphereError
from .checks import check_name
from .context import Ops

# The name vSphere gives every cluster's and standalone host's root resource pool.
ROOT_POOL = "Resources"
_COMPUTE_TYPES = frozenset({"ClusterComputeResource", "ComputeResource"})
_SHARE_LEVELS = ("low", "normal", "high")
_UNLIMITED = -1
_LABELS = {"cpu": "CPU", "memory": "memory"}


@dataclass(frozen=True)
class _Settings:
    """What a caller gives for one resource (CPU or memory); None: not given."""

    shares: str | int | None
    reservation: int | None
    limit: int | None
    expandable: bool | None


def _check_shares(keyword: str, value: Any) -> None:
    if value is None or value in _SHARE_LEVELS:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInputError(
            f"{keyword}={value!r}: 'low', 'normal', 'high' or a whole number of shares, more than 0"
        )


def _check_reservation(keyword: str, value: Any, unit: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(f"{keyword}={value!r}: a whole number of {unit}, 0 or more")


def _check_limit(keyword: str, value: Any, unit: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < _UNLIMITED:
        raise InvalidInputError(
            f"{keyword}={value!r}: a whole number of {unit}, or -1 for no limit"
        )


def _check_settings(
    *,
    cpu_shares: Any,
    cpu_reservation_mhz: Any,
    cpu_limit_mhz: Any,
    memory_shares: Any,
    memory_reservation_mb: Any,
    memory_limit_mb: Any,
    expandable: Any,
) -> tuple[_Settings, _Settings]:
    """The settings given, each checked on its own (types and ranges); (cpu, memory)."""
    _check_shares("cpu_shares", cpu_shares)
    _check_shares("memory_shares", memory_shares)
    _check_reservation("cpu_reservation_mhz", cpu_reservation_mhz, "MHz")
    _check_reservation("memory_reservation_mb", memory_reservation_mb, "MB")
    _check_limit("cpu_limit_mhz", cpu_limit_mhz, "MHz")
    _check_limit("memory_limit_mb", memory_limit_mb, "MB")
    if expandable is not None and not isinstance(expandable, bool):
        # A string such as "no" would otherwise read as True.
        raise InvalidInputError(f"expandable={expandable!r}: True or False")
    return (
        _Settings(cpu_shares, cpu_reservation_mhz, cpu_limit_mhz, expandable),
        _Settings(memory_shares, memory_reservation_mb, memory_limit_mb, expandable),
    )


def _allocation(given: _Settings, current: Any, resource: str, unit: str) -> Any:
    """A ResourceAllocationInfo: what is given over ``current`` (None: over the defaults of
    a new pool: normal shares, no reservation, no limit, expandable). InvalidInputError if
    the limit ends up below the reservation."""
    if current is None:
        shares: Any = vim.SharesInfo(level="normal", shares=0)
        reservation, limit, expandable = 0, _UNLIMITED, True
    else:
        shares = current.shares
        reservation = current.reservation if current.reservation is not None else 0
        limit = current.limit if current.limit is not None else _UNLIMITED
        expandable = bool(current.expandableReservation)
    if isinstance(given.shares, str):
        # The number is the server's for a level (it scales with the parent's): not sent.
        shares = vim.SharesInfo(level=given.shares, shares=0)
    elif given.shares is not None:
        shares = vim.SharesInfo(level="custom", shares=given.shares)
    if given.reservation is not None:
        reservation = given.reservation
    if given.limit is not None:
        limit = given.limit
    if given.expandable is not None:
        expandable = given.expandable
    if limit != _UNLIMITED and limit < reservation:
        limit_word = f"{resource}_limit_{unit.lower()}"
        reserve_word = f"{resource}_reservation_{unit.lower()}"
        raise InvalidInputError(
            f"{limit_word}={limit}: below the {_LABELS[resource]} reservation "
            f"({reserve_word}={reservation}"
            f"{'' if given.reservation is not None else ', as the pool has it'}); "
            f"a limit is -1 (none) or at least the reservation"
        )
    return vim.ResourceAllocationInfo(
        shares=shares, reservation=reservation, limit=limit, expandableReservation=expandable
    )


def _spec(cpu: _Settings, memory: _Settings, current: Any = None) -> Any:
    return vim.ResourceConfigSpec(
        cpuAllocation=_allocation(cpu, current and current.cpuAllocation, "cpu", "MHz"),
        memoryAllocation=_allocation(memory, current and current.memoryAllocation, "memory", "MB"),
        changeVersion=current.changeVersion if current is not None else None,
    )


# -- create --------------------------------------------------------------------------------------


def create_resource_pool(
    ops: Ops,
    *,
    path: Any,
    cpu_shares: Any,
    cpu_reservation_mhz: Any,
    cpu_limit_mhz: Any,
    memory_shares: Any,
    memory_reservation_mb: Any,
    memory_limit_mb: Any,
    expandable: Any,
) -> Any:
    """The pool at ``path``, made with any missing parents (those with default settings)."""
    cpu, memory = _check_settings(
        cpu_shares=cpu_shares,
        cpu_reservation_mhz=cpu_reservation_mhz,
        cpu_limit_mhz=cpu_limit_mhz,
        memory_shares=memory_shares,
        memory_reservation_mb=memory_reservation_mb,
        memory_limit_mb=memory_limit_mb,
        expandable=expandable,
    )
    if not isinstance(path, str) or len(split_path(path)) < 4:
        raise InvalidInputError(
            f"resource pool path {path!r}: a datacenter, its host folder, a cluster or host "
            "and pool names, like /DC1/host/cluster1/Resources/web"
        )
    segments = split_path(path)
    for segment in segments:
        check_name(unescape_name(segment), "resource pool path segment")
    # Both specs made now: a limit below the reservation is refused before anything is sent.
    new_spec = _spec(cpu, memory)
    default_spec = _spec(_Settings(None, None, None, None), _Settings(None, None, None, None))
    description = f"create resource pool {path!r}"

    parent, depth = _deepest_pool(ops, segments, description)
    below = segments[depth:]
    # The path without the root pool's name (govc's form): "/DC/host/C0/web" is
    # "/DC/host/C0/Resources/web".
    if parent.type in _COMPUTE_TYPES:
        if below and unescape_name(below[0]) == ROOT_POOL:
            # Confirmed with the server a moment ago: it is not there.
            raise NotFoundError(f"{description}: {ops.resolver.path(parent)} has no root pool")
        segments = [*segments[:depth], ROOT_POOL, *below]
        parent, depth = _deepest_pool(ops, segments, description, at_least=depth + 1)
        below = segments[depth:]
    if not below:
        pool = ops.resolver.obj(parent)
        ops.logger.info("%s: already there (its settings are left as they are)", description)
        return pool

    pool = ops.resolver.obj(parent)
    made: list[str] = []
    for number, segment in enumerate(below, start=1):
        name = unescape_name(segment)
        spec = new_spec if number == len(below) else default_spec
        with describing(description):
            try:
                pool = pool.CreateResourcePool(escape_name(name), spec)
                made.append(pool._moId)
            except InvalidInputError as e:
                if not is_fault(e, "DuplicateName"):
                    raise
                # Made meanwhile (by someone else): fine, as it is.
                pool = _existing_child_pool(ops, pool, name, description)
    ops.index.refresh_many([Ref("ResourcePool", moid) for moid in made])
    ops.logger.info("%s: made %d pool(s)", description, len(made))
    return pool


def _deepest_pool(
    ops: Ops, segments: list[str], description: str, at_least: int = 3
) -> tuple[Entry, int]:
    """The longest prefix of the path that exists on the server now (a resource pool, or a
    cluster or standalone host to make pools in), and how many segments it has. Refused if
    that prefix is something else, or several objects; NotFoundError if none exists."""
    prefixes = [
        "/" + "/".join(segments[:depth]) for depth in range(len(segments), at_least - 1, -1)
    ]
    # As the server has it now, not as the index had it (see create_folder).
    confirmed = ops.resolver.confirmed_many(KINDS["entity"], prefixes)
    for prefix, found in zip(prefixes, confirmed, strict=True):
        if isinstance(found, NotFoundError):
            continue
        if isinstance(found, AmbiguousNameError):
            raise InvalidInputError(f"{description}: {prefix} is several objects") from found
        if isinstance(found, VSphereError):
            raise found
        if found.type == "VirtualApp":
            raise InvalidInputError(f"{description}: {prefix} is a vApp, not a resource pool")
        if found.type != "ResourcePool" and found.type not in _COMPUTE_TYPES:
            raise InvalidInputError(
                f"{description}: {prefix} is a {found.type}, not a cluster, host or resource pool"
            )
        return found, len(split_path(prefix))
    raise NotFoundError(
        f"{description}: no cluster, host or resource pool at {'/' + '/'.join(segments[:3])}"
    )


def _existing_child_pool(ops: Ops, parent: Any, name: str, description: str) -> Any:
    """The child pool named ``name`` that a DuplicateName fault stands for, read from the
    server."""
    stored = escape_name(name)
    children = ops.read(parent, ["resourcePool"], description)["resourcePool"] or []
    for child in children:
        if ops.read(child, ["name"], description)["name"] in (stored, name):
            ops.index.refresh_many([Ref(str(type(child)._wsdlName), child._moId)])
            if not isinstance(child, vim.ResourcePool) or isinstance(child, vim.VirtualApp):
                raise InvalidInputError(f"{description}: {name!r} is a vApp")
            return child
    raise NotFoundError(f"{description}: {name!r} exists, yet is not among the pool's children")


# -- update --------------------------------------------------------------------------------------


def update_resource_pool(
    ops: Ops,
    *,
    pool: Any,
    cpu_shares: Any,
    cpu_reservation_mhz: Any,
    cpu_limit_mhz: Any,
    memory_shares: Any,
    memory_reservation_mb: Any,
    memory_limit_mb: Any,
    expandable: Any,
) -> None:
    """Change the settings given; the others stay as the pool has them."""
    given = {
        "cpu_shares": cpu_shares,
        "cpu_reservation_mhz": cpu_reservation_mhz,
        "cpu_limit_mhz": cpu_limit_mhz,
        "memory_shares": memory_shares,
        "memory_reservation_mb": memory_reservation_mb,
        "memory_limit_mb": memory_limit_mb,
        "expandable": expandable,
    }
    cpu, memory = _check_settings(**given)
    if all(value is None for value in given.values()):
        raise InvalidInputError(
            f"update resource pool {pool!r}: nothing to change; give one of {', '.join(given)}"
        )
    entry, obj = ops.resolve(KINDS["resource_pool"], pool, confirm=True)
    description = f"update resource pool {ops.resolver.path(entry)!r}"
    if entry.type == "VirtualApp":
        raise InvalidInputError(f"{description}: it is a vApp, not a resource pool")
    current = ops.read(obj, ["config"], description)["config"]
    # changeVersion: vCenter refuses the change if someone else changed the pool since
    # it was read, instead of undoing their change with the values read.
    spec = _spec(cpu, memory, current)
    with describing(description):
        obj.UpdateConfig(None, spec)
    changed = ", ".join(f"{k}={v!r}" for k, v in given.items() if v is not None)
    ops.logger.info("%s: %s", description, changed)


# -- destroy -------------------------------------------------------------------------------------


def destroy_resource_pool(ops: Ops, *, pool: Any) -> None:
    """Destroy a resource pool; vSphere moves its VMs and child pools to its parent."""
    entry, obj = ops.resolve(KINDS["resource_pool"], pool, confirm=True)
    description = f"destroy resource pool {ops.resolver.path(entry)!r}"
    if entry.type == "VirtualApp":
        # Destroying a vApp destroys its VMs: not what destroying a pool means.
        raise InvalidInputError(f"{description}: it is a vApp, not a resource pool")
    parent = ops.index.inventory.get(entry.parent) if entry.parent else None
    if parent is not None and parent.type in _COMPUTE_TYPES:
        raise InvalidInputError(
            f"{description}: it is the root pool of {ops.resolver.path(parent)}, which goes "
            "only with its cluster or host"
        )
    held = ops.read(obj, ["vm", "resourcePool", "parent"], description)
    if isinstance(held["parent"], vim.ComputeResource):  # the index was behind
        raise InvalidInputError(f"{description}: it is a root pool")
    vms = [_name(ops, vm, description) for vm in held["vm"] or []]
    children = list(held["resourcePool"] or [])
    parent_path = ops.resolver.path(parent) if parent is not None else "its parent"

    def moved(result: Any, deadline: float | None) -> None:
        # The child pools' parent changed: read again, for their paths.
        ops.index.refresh_many([Ref(str(type(c)._wsdlName), c._moId) for c in children])
        ops.index.forget(entry.moid)
        if vms:
            ops.logger.info(
                "%s: its VMs moved to %s: %s", description, parent_path, ", ".join(sorted(vms))
            )
        if children:
            ops.logger.info(
                "%s: its %d child pool(s) moved to %s", description, len(children), parent_path
            )

    ops.run(obj.Destroy_Task, description, True, None, on_done=moved)


def _name(ops: Ops, obj: Any, context: str) -> str:
    """An object's name as people read it: from the index, else from the server."""
    entry = ops.index.inventory.get(obj._moId)
    if entry is not None:
        return entry.display_name
    return unescape_name(ops.read(obj, ["name"], context)["name"] or obj._moId)
