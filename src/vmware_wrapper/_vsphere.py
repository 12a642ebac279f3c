"""The VSphere facade: one object per connection, every operation by name.

    with VSphere("vc.example.com", "admin@vsphere.local", password) as vs:
        vm = vs.get_vm("web-07")
        print(vs.vm_info(vm).power_state)

The facade stays small: it resolves names through the inventory index and hands the work to
the operation modules, which receive what they need (session, index, task engine, logger).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from ._faults import task_error, translate, translating
from ._index import InventoryIndex
from ._inventory import KINDS, Entry, Kind, kind_for
from ._models import VMInfo
from ._names import looks_like_uuid, normalize_uuid
from ._session import ConnectionSettings, Session
from ._stub import RetryPolicy
from ._tasks import ProgressCallback, TaskEngine
from ._tls import TLSPolicy
from ._vminfo import read_vm_infos
from ._vmomi import ManagedObject, vim, vmodl
from .errors import AmbiguousNameError, InvalidInputError, NotFoundError

T = TypeVar("T")

_FALSE = {"0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}
_REQUIRED_ENV = {"host": "VMWARE_HOST", "username": "VMWARE_USER", "password": "VMWARE_PASSWORD"}


class _Gone(Exception):
    """The object an entry names no longer exists on the server."""


class VSphere:
    """A connection to a vCenter (or ESXi host) and everything you can do with it by name.

    Certificates are verified by default, also for localhost. ``insecure=True`` skips the
    check (and says so in the log); ``thumbprint=`` pins the server's certificate (SHA-1 or
    SHA-256, hex, with or without colons); ``ca_file=`` trusts a private CA.
    ``retry_timeout`` is how long an unreachable server is retried before ConnectError,
    ``request_timeout`` how long one request may go unanswered before OperationTimeout.
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
        self._classes: dict[str, Any] = {}  # vSphere type name -> pyVmomi class

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> VSphere:
        """Connect with the settings in the environment, as Ansible's and govc's users know them.

        VMWARE_HOST, VMWARE_USER, VMWARE_PASSWORD, VMWARE_PORT, VMWARE_VALIDATE_CERTS
        (false -> insecure), VMWARE_THUMBPRINT; falling back to GOVC_URL, GOVC_USERNAME,
        GOVC_PASSWORD, GOVC_INSECURE. Keyword arguments override both.
        """
        settings = {**settings_from_env(os.environ if env is None else env), **overrides}
        missing = [name for key, name in _REQUIRED_ENV.items() if not settings.get(key)]
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

    def get_vm(self, vm: Any, *, refresh: bool = False) -> Any:
        """The VM (or template) named by a name, path, id or object."""
        return self._object(self._resolve(KINDS["vm"], vm, refresh))

    def get_host(self, host: Any, *, refresh: bool = False) -> Any:
        return self._object(self._resolve(KINDS["host"], host, refresh))

    def get_cluster(self, cluster: Any, *, refresh: bool = False) -> Any:
        return self._object(self._resolve(KINDS["cluster"], cluster, refresh))

    def get_datacenter(self, datacenter: Any, *, refresh: bool = False) -> Any:
        return self._object(self._resolve(KINDS["datacenter"], datacenter, refresh))

    def get_datastore(self, datastore: Any, *, refresh: bool = False) -> Any:
        return self._object(self._resolve(KINDS["datastore"], datastore, refresh))

    def get_network(self, network: Any, *, refresh: bool = False) -> Any:
        """A standard or distributed port group (or opaque network)."""
        return self._object(self._resolve(KINDS["network"], network, refresh))

    def get_folder(self, folder: Any, *, refresh: bool = False) -> Any:
        return self._object(self._resolve(KINDS["folder"], folder, refresh))

    def get_resource_pool(self, pool: Any, *, refresh: bool = False) -> Any:
        """A resource pool or vApp."""
        return self._object(self._resolve(KINDS["resource_pool"], pool, refresh))

    def get(self, vimtype: Any, name_or_path: Any, *, refresh: bool = False) -> Any:
        """Exactly one object of a pyVmomi type (vim.Datastore, vim.ManagedEntity, ...) or a
        kind ("vm", "template", "host", "cluster", "datastore", "network", "folder", "pool")."""
        return self._object(self._resolve(kind_for(vimtype), name_or_path, refresh))

    def get_vm_by_uuid(self, uuid: str) -> Any:
        """The VM with this BIOS uuid or instance uuid."""
        if not isinstance(uuid, str) or not looks_like_uuid(uuid):
            raise InvalidInputError(f"{uuid!r} is not a uuid")
        return self._object(self._entry_by_uuid(uuid))

    def find(self, vimtype: Any, pattern: str = "*") -> list[Any]:
        """Objects whose names (or paths, when the pattern has a "/") match a glob; zero or more."""
        kind = kind_for(vimtype)
        if not isinstance(pattern, str):
            raise InvalidInputError(f"a pattern is a string, not {pattern!r}")
        return [self._object(e) for e in self._index.find(kind, pattern)]

    def path_of(self, obj: Any) -> str:
        """The inventory path of an object, e.g. "/DC0/vm/web/app01"."""
        entry = self._resolve(KINDS["entity"], obj, False)
        return self._index.inventory.path(entry.moid)

    def list_vms(self, pattern: str = "*") -> list[VMInfo]:
        """VMInfo for every VM and template whose name (or path) matches; one bulk read."""
        if not isinstance(pattern, str):
            raise InvalidInputError(f"a pattern is a string, not {pattern!r}")
        entries = self._index.find(KINDS["vm"], pattern)
        inventory = self._index.inventory
        with translating(f"list VMs {pattern!r}"):
            return read_vm_infos(self._session, inventory, entries, self._index.container_view())

    def vm_info(self, vm: Any) -> VMInfo:
        """A fresh VMInfo of one VM."""

        def read(entry: Entry) -> VMInfo:
            infos = read_vm_infos(self._session, self._index.inventory, [entry])
            if not infos:
                raise _Gone(entry.moid)
            return infos[0]

        return self._with_fresh(KINDS["vm"], vm, f"read VM {_shown(vm)}", read)

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
        with translating("wait for tasks"):
            infos = self._tasks.wait(
                [(t, f"task {t._moId}") for t in items], timeout=timeout, on_progress=on_progress
            )
        for task, info in zip(items, infos, strict=True):
            if info.state == "error":
                raise task_error(info.error, f"task {task._moId} ({info.descriptionId})", task)
        return [info.result for info in infos]

    # -- resolution ------------------------------------------------------------------------

    def _resolve(self, kind: Kind, ref: Any, refresh: bool) -> Entry:
        if isinstance(ref, str):
            # Not `with translating(...)`: this is the hot path of every call by name.
            try:
                entry = self._index.lookup(kind, ref)
                if refresh:
                    refreshed = self._index.refresh(entry.moid, entry.type)
                    if refreshed is None:
                        raise NotFoundError(f"{kind.label} {ref!r} no longer exists")
                    entry = refreshed
            except vmodl.MethodFault as fault:
                raise translate(fault, f"look up {kind.label} {ref!r}") from fault
            return entry
        if isinstance(ref, ManagedObject):
            return self._resolve_object(kind, ref, refresh)
        raise InvalidInputError(
            f"a {kind.label} is named by a name, path, id or pyVmomi object, not {ref!r}"
        )

    def _resolve_object(self, kind: Kind, obj: Any, refresh: bool) -> Entry:
        vim_type = str(type(obj)._wsdlName)
        if vim_type not in kind.types:
            raise InvalidInputError(f"{obj!r} is a {vim_type}, not a {kind.label}")
        inventory = self._index.ready()
        entry = None if refresh else inventory.get(obj._moId)
        if entry is None:
            with translating(f"look up {kind.label} {obj._moId}"):
                entry = self._index.refresh(obj._moId, vim_type)
            if entry is None:
                raise NotFoundError(f"{kind.label} {obj._moId} does not exist")
        if not kind.admits(entry):
            raise InvalidInputError(f"{obj._moId} is not a {kind.label}")
        return entry

    def _entry_by_uuid(self, uuid: str) -> Entry:
        inventory = self._index.ensure_details()
        found = inventory.with_uuid(uuid)
        if not found:
            # Not seen yet, perhaps just created: ask the server's search index.
            search = self.content.searchIndex
            with translating(f"look up VM by uuid {uuid}"):
                for instance in (False, True):
                    vm = search.FindByUuid(
                        uuid=normalize_uuid(uuid), vmSearch=True, instanceUuid=instance
                    )
                    if vm is not None:
                        self._index.refresh(vm._moId, "VirtualMachine")
            found = inventory.with_uuid(uuid)
        if len(found) == 1:
            return found[0]
        if not found:
            raise NotFoundError(f"no VM with uuid {uuid}")
        paths = sorted(inventory.path(e.moid) for e in found)
        raise AmbiguousNameError(
            f"{len(found)} VMs have uuid {uuid}: {', '.join(paths)}", candidates=paths
        )

    def _object(self, entry: Entry) -> Any:
        """The pyVmomi object for an entry, on this connection."""
        cls = self._classes.get(entry.type)
        if cls is None:
            cls = self._classes[entry.type] = getattr(vim, entry.type)
        return cls(entry.moid, self._session.stub)

    def _with_fresh(self, kind: Kind, ref: Any, context: str, fn: Callable[[Entry], T]) -> T:
        """Run ``fn`` on the object ``ref`` names. If the index's reference has gone stale
        (the object was re-registered or replaced), drop it, find the object again (a VM by
        its uuid, anything by its name) and run ``fn`` once more."""
        entry = self._resolve(kind, ref, False)
        with translating(context):
            try:
                return fn(entry)
            except (_Gone, vmodl.fault.ManagedObjectNotFound):
                self._index.forget(entry.moid)
                self.logger.debug("%s: %s went stale; looking it up again", context, entry.moid)
        replacement = self._reresolve(kind, ref, entry)
        with translating(context):
            try:
                return fn(replacement)
            except (_Gone, vmodl.fault.ManagedObjectNotFound):
                self._index.forget(replacement.moid)
                raise NotFoundError(f"{context}: it no longer exists") from None

    def _reresolve(self, kind: Kind, ref: Any, stale: Entry) -> Entry:
        for uuid in (stale.uuid, stale.instance_uuid):
            if uuid:
                try:
                    return self._entry_by_uuid(uuid)
                except NotFoundError:
                    pass
        if isinstance(ref, str):
            return self._resolve(kind, ref, False)
        raise NotFoundError(f"{kind.label} {stale.moid} ({stale.display_name}) no longer exists")

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Stop following the inventory and log out (without waiting for a lost server)."""
        self._session.transport.closing = True
        self._index.close()
        self._tasks.close()
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


def _shown(ref: Any) -> str:
    """How a reference to an object appears in messages."""
    if isinstance(ref, str):
        return repr(ref)
    return str(getattr(ref, "_moId", ref))


def settings_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Read the connection settings that are set in VMWARE_* variables, else GOVC_* ones."""
    out: dict[str, Any] = {}
    govc_url = env.get("GOVC_URL", "")
    if govc_url:
        # govc accepts "host", "host:port", "https://user:pass@host/sdk".
        parts = urlsplit(govc_url if "://" in govc_url else "https://" + govc_url)
        if parts.hostname:
            out["host"] = parts.hostname
        if parts.port:
            out["port"] = parts.port
        if parts.scheme in ("http", "https"):
            out["protocol"] = parts.scheme
        if parts.username:
            out["username"] = unquote(parts.username)
        if parts.password:
            out["password"] = unquote(parts.password)
    for key, name in (("username", "GOVC_USERNAME"), ("password", "GOVC_PASSWORD")):
        if env.get(name):
            out[key] = env[name]
    if env.get("GOVC_INSECURE", "").lower() in _TRUE:
        out["insecure"] = True

    for key, name in (
        ("host", "VMWARE_HOST"),
        ("username", "VMWARE_USER"),
        ("password", "VMWARE_PASSWORD"),
        ("thumbprint", "VMWARE_THUMBPRINT"),
    ):
        if env.get(name):
            out[key] = env[name]
    if env.get("VMWARE_PORT"):
        try:
            out["port"] = int(env["VMWARE_PORT"])
        except ValueError:
            raise InvalidInputError(
                f"VMWARE_PORT={env['VMWARE_PORT']!r} is not a port number"
            ) from None
    validate = env.get("VMWARE_VALIDATE_CERTS", "").lower()
    if validate in _FALSE:
        out["insecure"] = True
    elif validate in _TRUE:
        out["insecure"] = False
    return out
