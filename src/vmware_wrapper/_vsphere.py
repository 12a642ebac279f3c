"""The VSphere facade: one object per connection, every operation by name.

    with VSphere("vc.example.com", "admin@vsphere.local", password) as vs:
        vm = vs.clone_vm("tmpl-ubuntu", "web-07", cpus=4, power_on=True)
        print(vs.vm_info(vm).power_state)

The facade stays small: it resolves names through the inventory index and hands the work to
the operation modules (_power, _provision, _hardware, _snapshots, _placement, _fields),
which receive what they need (session, index, task engine, logger) through ``Ops``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from ._base.customization import LinuxCustomization, WindowsCustomization
from ._base.models import InventoryItem, SnapshotInfo, VMInfo
from ._base.vmomi import vim
from ._inventory.index import InventoryIndex
from ._inventory.resolver import Gone, Resolver, shown
from ._inventory.tree import KINDS, Entry, kind_for
from ._operations import (
    bulk as _bulk,
)
from ._operations import (
    events as _events,
)
from ._operations import (
    fields as _fields,
)
from ._operations import (
    hardware as _hardware,
)
from ._operations import (
    placement as _placement,
)
from ._operations import (
    power as _power,
)
from ._operations import (
    provision as _provision,
)
from ._operations import (
    snapshots as _snapshots,
)
from ._operations import (
    stats as _stats,
)
from ._operations.bulk import BulkProgress, BulkResult
from ._operations.context import Ops
from ._operations.events import EventInfo
from ._operations.guest import Guest
from ._operations.tags import Tags
from ._operations.vminfo import read_vm_infos
from ._tasks.engine import ProgressCallback, TaskEngine
from ._transport.env import REQUIRED_ENV, settings_from_env
from ._transport.faults import describing, task_error
from ._transport.retry import RetryPolicy
from ._transport.session import ConnectionSettings, Session
from ._transport.tls import TLSPolicy
from .errors import InvalidInputError, NotFoundError, VSphereError

__all__ = ["VSphere", "settings_from_env"]


class VSphere:
    """A connection to a vCenter (or ESXi host) and everything you can do with it by name.

    Certificates are verified by default, also for localhost. ``insecure=True`` skips the
    check (and says so in the log); ``thumbprint=`` pins the server's certificate (SHA-1 or
    SHA-256, hex, with or without colons); ``ca_file=`` trusts a private CA.
    ``retry_timeout`` is how long an unreachable server is retried before ConnectError,
    ``request_timeout`` how long one request may go unanswered before OperationTimeout.

    Every operation takes what "naming things" accepts (a name, a path, an id or a pyVmomi
    object), waits by default (``timeout=`` in seconds), and with ``wait=False`` returns a
    handle whose ``wait(timeout=None)`` finishes the job.
    """

    def __init__(
        self,
        host: str,
        username: str,
        password: str,
        *,
        port: int = 443,
        protocol: str = "https",
        insecure: bool = False,
        thumbprint: str | None = None,
        ca_file: str | None = None,
        logger: logging.Logger | None = None,
        retry_timeout: float = 30.0,
        request_timeout: float = 120.0,
        watch_inventory: bool = True,
    ) -> None:
        self.logger = logger or logging.getLogger("vmware_wrapper")
        if insecure and thumbprint:
            raise InvalidInputError("insecure=True and thumbprint= contradict each other")
        settings = ConnectionSettings(
            host=host,
            username=username,
            password=password,
            port=port,
            protocol=protocol,
            tls=TLSPolicy(insecure=insecure, thumbprint=thumbprint, ca_file=ca_file),
            retry=RetryPolicy(retry_timeout=retry_timeout, request_timeout=request_timeout),
        )
        if insecure and protocol == "https":
            self.logger.warning(
                "certificate checks for %s are off (insecure=True): anyone on the path "
                "can read and change this session",
                settings.address,
            )
        self._session = Session(settings, self.logger)
        self._index = InventoryIndex(self._session, self.logger, watch=watch_inventory)
        self._tasks = TaskEngine(self._session, self.logger, after=self._index.absorb)
        self._resolver = Resolver(self._session, self._index, self.logger)
        self._ops = Ops(self._session, self._index, self._tasks, self._resolver, self.logger)
        self._counters = _stats.Counters(self._ops)
        self._tags: Tags | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> VSphere:
        """Connect with the settings in the environment, as Ansible's and govc's users know them.

        VMWARE_HOST, VMWARE_USER, VMWARE_PASSWORD, VMWARE_PORT, VMWARE_VALIDATE_CERTS
        (false -> insecure), VMWARE_THUMBPRINT; falling back to GOVC_URL, GOVC_USERNAME,
        GOVC_PASSWORD, GOVC_INSECURE. Keyword arguments override both.
        """
        settings = {**settings_from_env(os.environ if env is None else env), **overrides}
        missing = [name for key, name in REQUIRED_ENV.items() if not settings.get(key)]
        if missing:
            raise InvalidInputError(
                "missing connection settings: "
                + ", ".join(missing)
                + " (or GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD)"
            )
        return cls(**settings)

    # -- the raw pyVmomi objects -----------------------------------------------------------

    @property
    def service_instance(self) -> Any:
        """The raw pyVmomi ServiceInstance, for anything this library does not wrap. Its
        calls share this connection's session, re-login and retries."""
        return self._session.service_instance

    @property
    def content(self) -> Any:
        """The raw pyVmomi ServiceContent."""
        return self._session.content

    # -- naming things ---------------------------------------------------------------------

    def _get(self, kind: str, ref: Any, refresh: bool) -> Any:
        return self._resolver.obj(self._resolver.entry(KINDS[kind], ref, refresh))

    def get_vm(self, vm: Any, *, refresh: bool = False) -> Any:
        """The VM (or template) named by a name, path, id, uuid or object."""
        return self._get("vm", vm, refresh)

    def get_host(self, host: Any, *, refresh: bool = False) -> Any:
        return self._get("host", host, refresh)

    def get_cluster(self, cluster: Any, *, refresh: bool = False) -> Any:
        return self._get("cluster", cluster, refresh)

    def get_datacenter(self, datacenter: Any, *, refresh: bool = False) -> Any:
        return self._get("datacenter", datacenter, refresh)

    def get_datastore(self, datastore: Any, *, refresh: bool = False) -> Any:
        return self._get("datastore", datastore, refresh)

    def get_network(self, network: Any, *, refresh: bool = False) -> Any:
        """A standard or distributed port group (or opaque network)."""
        return self._get("network", network, refresh)

    def get_folder(self, folder: Any, *, refresh: bool = False) -> Any:
        return self._get("folder", folder, refresh)

    def get_resource_pool(self, pool: Any, *, refresh: bool = False) -> Any:
        """A resource pool or vApp."""
        return self._get("resource_pool", pool, refresh)

    def get(self, vimtype: Any, name_or_path: Any, *, refresh: bool = False) -> Any:
        """Exactly one object of a pyVmomi type (vim.Datastore, vim.ManagedEntity, ...) or a
        kind ("vm", "template", "host", "cluster", "datastore", "network", "folder", "pool")."""
        return self._resolver.obj(self._resolver.entry(kind_for(vimtype), name_or_path, refresh))

    def get_vm_by_uuid(self, uuid: str) -> Any:
        """The VM with this BIOS uuid or instance uuid."""
        return self._resolver.obj(self._resolver.by_uuid(uuid))

    def find(self, vimtype: Any, pattern: str = "*") -> list[Any]:
        """Objects whose names (or paths, when the pattern has a "/") match a glob; zero or more.
        Over paths, ``*`` stays within one level and ``**`` spans any number."""
        kind = kind_for(vimtype)
        if not isinstance(pattern, str):
            raise InvalidInputError(f"a pattern is a string, not {pattern!r}")
        return [self._resolver.obj(e) for e in self._index.find(kind, pattern)]

    def path_of(self, obj: Any) -> str:
        """The inventory path of an object, e.g. "/DC0/vm/web/app01"."""
        return self._resolver.path(self._resolver.entry(KINDS["entity"], obj))

    def list_children(self, path: Any = "/") -> list[InventoryItem]:
        """What an inventory folder (or datacenter, cluster, pool...) holds, by name."""
        inventory = self._index.ready()
        if isinstance(path, str) and path.strip() in ("", "/"):
            moid = inventory.root or ""
        else:
            moid = self._resolver.entry(KINDS["entity"], path).moid
        children = sorted(inventory.children(moid), key=lambda e: (e.display_name, e.moid))
        return [self._item(e) for e in children]

    def find_items(self, vimtype: Any, pattern: str = "*") -> list[InventoryItem]:
        """Like find(), as InventoryItem records (name, type, path, id)."""
        kind = kind_for(vimtype)
        if not isinstance(pattern, str):
            raise InvalidInputError(f"a pattern is a string, not {pattern!r}")
        return [self._item(e) for e in self._index.find(kind, pattern)]

    def _item(self, entry: Entry) -> InventoryItem:
        return InventoryItem(
            entry.display_name, entry.type, self._index.inventory.path(entry.moid), entry.moid
        )

    def list_vms(self, pattern: str = "*") -> list[VMInfo]:
        """VMInfo for every VM and template whose name (or path) matches; one bulk read."""
        if not isinstance(pattern, str):
            raise InvalidInputError(f"a pattern is a string, not {pattern!r}")
        entries = self._index.find(KINDS["vm"], pattern)
        with describing(f"list VMs {pattern!r}"):
            return read_vm_infos(
                self._session, self._index.inventory, entries, self._index.container_view()
            )

    def vm_info(self, vm: Any) -> VMInfo:
        """A fresh VMInfo of one VM."""

        def read(entry: Entry) -> VMInfo:
            infos = read_vm_infos(self._session, self._index.inventory, [entry])
            if not infos:
                raise Gone(entry.moid)
            return infos[0]

        return self._resolver.with_fresh(KINDS["vm"], vm, f"read VM {shown(vm)}", read)

    def vm_infos(self, vms: Sequence[Any]) -> list[VMInfo]:
        """Fresh VMInfo of several VMs, in the order given; one bulk read for all."""
        if isinstance(vms, (str, bytes)) or not isinstance(vms, Sequence):
            raise InvalidInputError(f"vm_infos takes a list of VMs, not {vms!r}")
        entries = [self._resolver.entry(KINDS["vm"], vm) for vm in vms]
        with describing("read VMs"):
            infos = read_vm_infos(
                self._session, self._index.inventory, entries, self._index.container_view()
            )
        if len(infos) < len(entries):
            found = {info.moid for info in infos}
            gone = [shown(vm) for vm, e in zip(vms, entries, strict=True) if e.moid not in found]
            raise NotFoundError(f"no longer there: {', '.join(gone)}")
        return infos

    # -- power -----------------------------------------------------------------------------

    def power_state(self, vm: Any) -> str:
        """ "poweredOn", "poweredOff" or "suspended", read from the server."""
        return _power.power_state(self._ops, vm)

    def power_on(
        self,
        vm: Any,
        *,
        wait_for_tools: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Power on (nothing if it is on); with ``wait_for_tools``, until VMware Tools run."""
        return _power.power_on(
            self._ops, vm, wait_for_tools=wait_for_tools, wait=wait, timeout=timeout
        )

    def power_off(self, vm: Any, *, wait: bool = True, timeout: float | None = None) -> Any:
        """Hard power off (nothing if it is off)."""
        return _power.power_off(self._ops, vm, wait=wait, timeout=timeout)

    def shutdown(
        self,
        vm: Any,
        *,
        force_after: float | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Guest shutdown; waits until the VM is off. ``force_after`` seconds without that:
        power off hard."""
        return _power.shutdown(self._ops, vm, force_after=force_after, wait=wait, timeout=timeout)

    def reboot(self, vm: Any, *, wait: bool = True, timeout: float | None = None) -> Any:
        """Guest reboot; waits until VMware Tools are back."""
        return _power.reboot(self._ops, vm, wait=wait, timeout=timeout)

    def reset(self, vm: Any, *, wait: bool = True, timeout: float | None = None) -> Any:
        """Hard reset."""
        return _power.reset(self._ops, vm, wait=wait, timeout=timeout)

    def suspend(self, vm: Any, *, wait: bool = True, timeout: float | None = None) -> Any:
        return _power.suspend(self._ops, vm, wait=wait, timeout=timeout)

    def wait_for_tools(self, vm: Any, *, timeout: float | None = None) -> None:
        """Until VMware Tools run in the (powered-on) VM."""
        _power.wait_for_tools(self._ops, vm, timeout=timeout)

    # -- making, sizing and unmaking VMs ---------------------------------------------------

    def clone_vm(
        self,
        source: Any,
        name: str,
        *,
        folder: Any = None,
        host: Any = None,
        cluster: Any = None,
        resource_pool: Any = None,
        datastore: Any = None,
        power_on: bool = False,
        template: bool = False,
        cpus: int | None = None,
        memory_mb: int | None = None,
        customization: LinuxCustomization | WindowsCustomization | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Clone a VM or template; the new VM. Defaults: the source's folder, pool and
        datastore."""
        return _provision.clone_vm(
            self._ops, source, name, folder=folder, host=host, cluster=cluster,
            resource_pool=resource_pool, datastore=datastore, power_on=power_on,
            template=template, cpus=cpus, memory_mb=memory_mb, customization=customization,
            wait=wait, timeout=timeout,
        )  # fmt: skip

    def reconfigure_vm(
        self,
        vm: Any,
        *,
        cpus: int | None = None,
        memory_mb: int | None = None,
        disk_gb: float | dict[str, float] | None = None,
        network: Any = None,
        cpu_hot_add: bool | None = None,
        memory_hot_add: bool | None = None,
        cores_per_socket: int | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Change CPUs, memory, cores per socket, hot-add flags; grow the first disk (or
        {label: GB}); connect the first NIC to ``network``."""
        return _hardware.reconfigure_vm(
            self._ops, vm, cpus=cpus, memory_mb=memory_mb, cores_per_socket=cores_per_socket,
            disk_gb=disk_gb, network=network, cpu_hot_add=cpu_hot_add,
            memory_hot_add=memory_hot_add, wait=wait, timeout=timeout,
        )  # fmt: skip

    def add_disk(
        self,
        vm: Any,
        size_gb: float,
        *,
        thin: bool = True,
        datastore: Any = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        return _hardware.add_disk(
            self._ops, vm, size_gb, thin=thin, datastore=datastore, wait=wait, timeout=timeout
        )

    def add_nic(
        self,
        vm: Any,
        network: Any,
        *,
        adapter: str = "vmxnet3",
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        return _hardware.add_nic(
            self._ops, vm, network, adapter=adapter, wait=wait, timeout=timeout
        )

    def destroy_vm(
        self,
        vm: Any,
        *,
        allow_template: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Power off (hard) if needed, then destroy. Templates only with allow_template=True."""
        return _provision.destroy_vm(
            self._ops, vm, allow_template=allow_template, wait=wait, timeout=timeout
        )

    # -- where things are and what they are called -----------------------------------------

    def rename(
        self, obj: Any, new_name: str, *, wait: bool = True, timeout: float | None = None
    ) -> Any:
        return _placement.rename(self._ops, obj, new_name, wait=wait, timeout=timeout)

    def create_folder(self, path: str, *, wait: bool = True, timeout: float | None = None) -> Any:
        """The folder at ``path`` ("/DC0/vm/a/b"), made with any missing parents."""
        return _placement.create_folder(self._ops, path, wait=wait, timeout=timeout)

    def move(
        self, objs: Any, folder: Any, *, wait: bool = True, timeout: float | None = None
    ) -> Any:
        """Move one object or a list of them into a folder."""
        return _placement.move(self._ops, objs, folder, wait=wait, timeout=timeout)

    def mark_as_template(self, vm: Any, *, wait: bool = True, timeout: float | None = None) -> Any:
        return _placement.mark_as_template(self._ops, vm, wait=wait, timeout=timeout)

    def mark_as_vm(
        self,
        vm: Any,
        resource_pool: Any = None,
        host: Any = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        return _placement.mark_as_vm(self._ops, vm, resource_pool, host, wait=wait, timeout=timeout)

    def relocate_vm(
        self,
        vm: Any,
        *,
        host: Any = None,
        datastore: Any = None,
        resource_pool: Any = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        return _placement.relocate_vm(
            self._ops, vm, host=host, datastore=datastore, resource_pool=resource_pool,
            wait=wait, timeout=timeout,
        )  # fmt: skip

    # -- snapshots -------------------------------------------------------------------------

    def create_snapshot(
        self,
        vm: Any,
        name: str,
        *,
        description: str = "",
        memory: bool = False,
        quiesce: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Take a snapshot; its SnapshotInfo."""
        return _snapshots.create_snapshot(
            self._ops, vm, name, description=description, memory=memory, quiesce=quiesce,
            wait=wait, timeout=timeout,
        )  # fmt: skip

    def list_snapshots(self, vm: Any) -> list[SnapshotInfo]:
        """The snapshot tree, parents before children, with "parent/child" paths."""
        return _snapshots.list_snapshots(self._ops, vm)

    def revert_to_snapshot(
        self,
        vm: Any,
        snapshot: str | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Revert to a snapshot (by name or path), or to the current one."""
        return _snapshots.revert_to_snapshot(self._ops, vm, snapshot, wait=wait, timeout=timeout)

    def remove_snapshot(
        self,
        vm: Any,
        snapshot: str,
        *,
        children: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Any:
        return _snapshots.remove_snapshot(
            self._ops, vm, snapshot, children=children, wait=wait, timeout=timeout
        )

    def remove_all_snapshots(
        self, vm: Any, *, wait: bool = True, timeout: float | None = None
    ) -> Any:
        return _snapshots.remove_all_snapshots(self._ops, vm, wait=wait, timeout=timeout)

    # -- custom fields and notes -----------------------------------------------------------

    def set_custom_field(self, obj: Any, field: str, value: str) -> None:
        """Set a custom field (custom attribute), defining it first if it does not exist."""
        _fields.set_custom_field(self._ops, obj, field, value)

    def get_custom_fields(self, obj: Any) -> dict[str, str]:
        """Custom fields by name."""
        return _fields.get_custom_fields(self._ops, obj)

    def set_notes(
        self, vm: Any, text: str, *, wait: bool = True, timeout: float | None = None
    ) -> Any:
        return _fields.set_notes(self._ops, vm, text, wait=wait, timeout=timeout)

    def get_notes(self, vm: Any) -> str:
        return _fields.get_notes(self._ops, vm)

    # -- guests, tags, events, statistics --------------------------------------------------

    def guest(
        self, vm: Any, username: str, password: str, *, ready_timeout: float = 120.0
    ) -> Guest:
        """Operations inside a VM's guest, with these guest credentials: ``run``, ``upload``,
        ``download``, processes, directories. The first call waits up to ``ready_timeout``
        seconds for the guest's operations to be ready."""
        entry, obj = self._ops.vm(vm)
        return Guest(self._ops, entry, obj, username, password, ready_timeout)

    @property
    def tags(self) -> Tags:
        """Tags and categories (vAPI REST, with this connection's credentials)."""
        if self._tags is None:
            self._tags = Tags(self._ops)
        return self._tags

    def events(
        self,
        obj: Any = None,
        *,
        since: Any = None,
        types: Any = None,
        limit: int = 100,
    ) -> list[EventInfo]:
        """Recent events of an object (and what it contains) or of everything, newest first;
        ``since`` a datetime, ``types`` event type names ("VmPoweredOnEvent")."""
        return _events.events(self._ops, obj, since=since, types=types, limit=limit)

    def stats(
        self,
        obj: Any,
        metrics: tuple[str, ...] | list[str] = ("cpu.usage.average", "mem.usage.average"),
        *,
        samples: int = 10,
    ) -> dict[str, list[tuple[str, float]]]:
        """Real-time samples of a VM or host: metric name -> [(ISO time, value), ...]."""
        return _stats.stats(self._ops, self._counters, obj, metrics, samples=samples)

    # -- many at once ----------------------------------------------------------------------

    def bulk(
        self,
        operation: str | Callable[..., Any],
        selection: Any,
        *,
        concurrency: int = 10,
        timeout: float | None = None,
        on_progress: BulkProgress | None = None,
        **kwargs: Any,
    ) -> list[BulkResult]:
        """Run an operation ("power_on", "shutdown", "create_snapshot", ... or a callable
        taking a target and wait=False) on many targets, at most ``concurrency`` at a time.

        ``selection``: a list of names, paths, ids or objects; a glob over VM names or paths;
        or a folder path (every VM below it). Returns a BulkResult per target, in order;
        failures are recorded, never raised, and the other targets go on. ``timeout`` applies
        to each target; ``on_progress(done, total, result)`` follows along.
        """
        if callable(operation):
            method: Any = operation
            name = getattr(operation, "__name__", "operation")
        else:
            method = getattr(self, operation, None) if isinstance(operation, str) else None
            name = str(operation)
            _bulk.check_operation(name, method)
        targets = _bulk.select(self._ops, selection)
        if _bulk.acts_on_vms(method):
            # Names confirmed against the server once for all, not once per operation.
            found = self._resolver.confirmed_many(KINDS["vm"], [ref for _, ref in targets])
            targets = [
                (label, e if isinstance(e, VSphereError) else self._resolver.obj(e))
                for (label, _), e in zip(targets, found, strict=True)
            ]

        def start(ref: Any) -> Any:
            if isinstance(ref, VSphereError):
                raise ref  # this target's name did not resolve; recorded as its result
            return method(ref, wait=False, **kwargs)

        results = _bulk.run(
            self._ops,
            start,
            targets,
            concurrency=concurrency,
            timeout=timeout,
            on_progress=on_progress,
            prefetch=self._prefetch_vms if name in _bulk.READS_VM_STATE_FIRST else None,
        )
        self.logger.info("%s on %d targets: %s", name, len(targets), _bulk.summary(results))
        return results

    def _prefetch_vms(self, refs: list[Any]) -> None:
        vms = []
        for ref in refs:
            try:
                vms.append(self._ops.resolver.obj(self._ops.resolver.entry(KINDS["vm"], ref)))
            except VSphereError:
                continue  # its operation reports it
        self._ops.prefetch(vms)

    def select_vms(self, selection: Any) -> list[str]:
        """What a bulk selection names: the targets as given, or the VMs' paths."""
        return [label for label, _ in _bulk.select(self._ops, selection)]

    # -- tasks -----------------------------------------------------------------------------

    def wait_for_tasks(
        self,
        tasks: Any,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[Any]:
        """Wait for pyVmomi tasks (one or a list) through one property collector filter.

        Returns their results in order once all have finished; raises TaskError for the first
        that failed, OperationTimeout if ``timeout`` (seconds) runs out first.
        """
        items = list(tasks) if isinstance(tasks, (list, tuple)) else [tasks]
        for task in items:
            if not isinstance(task, vim.Task):
                raise InvalidInputError(f"{task!r} is not a vSphere task")
        with describing("wait for tasks"):
            infos = self._tasks.wait(
                [(t, f"task {t._moId}") for t in items], timeout=timeout, on_progress=on_progress
            )
        for task, info in zip(items, infos, strict=True):
            if info.state == "error":
                raise task_error(info.error, f"task {task._moId} ({info.descriptionId})", task)
        return [info.result for info in infos]

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Stop following the inventory and log out (without waiting for a lost server)."""
        self._session.transport.closing = True
        if self._tags is not None:
            self._tags.close()
        self._index.close()
        self._tasks.close()
        self._ops.close()
        self._session.close()

    def __enter__(self) -> VSphere:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self._session.settings
        return f"<VSphere {s.address} user:{s.username}>"
