"""VSphere: one object per connection, every operation by name.

    with VSphere("vc.example.com", "admin@vsphere.local", password) as vs:
        vm = vs.clone_vm("tmpl-ubuntu", "web-07", cpus=4, power_on=True)
        print(vs.vm_info(vm).power_state)

The class is put together from the facade's modules (``_facade/``: naming, power,
provisioning, OVF, content libraries, placement, snapshots, annotations, guests and tags,
events and statistics, devices, hosts, datastore files, resource pools and DRS rules,
networks, bulk), each the public page of the operations in ``_operations/``
of the same concern. This module makes the connection's parts and ends them.
"""

from __future__ import annotations

import atexit
import logging
import os
import weakref
from collections.abc import Mapping
from types import TracebackType
from typing import Any, cast

from pyVmomi import vim

from ._facade.annotations import Annotations
from ._facade.bulk import Bulk
from ._facade.datastore_files import DatastoreFiles
from ._facade.devices import Devices
from ._facade.events_and_stats import EventsAndStats
from ._facade.guests_and_tags import GuestsAndTags
from ._facade.hosts import Hosts
from ._facade.library import Library
from ._facade.naming import Naming
from ._facade.networks import Networks
from ._facade.ovf import Ovf
from ._facade.placement import Placement
from ._facade.pools_and_rules import PoolsAndRules
from ._facade.power import Power
from ._facade.provisioning import Provisioning
from ._facade.snapshots import Snapshots
from ._inventory.index import InventoryIndex
from ._inventory.resolver import Resolver
from ._operations.context import Ops
from ._tasks.engine import TaskEngine
from ._transport.env import REQUIRED_ENV, settings_from_env
from ._transport.retry import RetryPolicy
from ._transport.session import ConnectionSettings, Session
from ._transport.tls import TLSPolicy
from .errors import InvalidInputError

__all__ = ["VSphere"]


class VSphere(
    Naming,
    Power,
    Provisioning,
    Ovf,
    Library,
    Placement,
    Snapshots,
    Annotations,
    GuestsAndTags,
    EventsAndStats,
    Devices,
    Hosts,
    DatastoreFiles,
    PoolsAndRules,
    Networks,
    Bulk,
):
    """A connection to a vCenter (or ESXi host) and everything you can do with it by name.

    Certificates are verified by default, also for localhost. ``insecure=True`` skips the
    check (and says so in the log); ``thumbprint=`` pins the server's certificate (SHA-1 or
    SHA-256, hex, with or without colons); ``ca_file=`` trusts a private CA.
    ``retry_timeout`` is how long an unreachable server is retried before ConnectError
    (default: 30 s once a session was up, and 2 s for the first connection, because a refused
    port or an unknown name is usually a typo; a number given applies to both),
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
        retry_timeout: float | None = None,
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
            retry=(
                RetryPolicy(request_timeout=request_timeout)
                if retry_timeout is None
                else RetryPolicy(
                    retry_timeout=retry_timeout,
                    first_retry_timeout=retry_timeout,
                    request_timeout=request_timeout,
                )
            ),
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
        _OPEN.add(self)
        # Exit hooks run last-registered first: this one again now runs before those of
        # whatever this connection talks to that was started earlier (a Simulator).
        atexit.unregister(_close_all)
        atexit.register(_close_all)

    @staticmethod
    def settings_from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The keyword arguments ``from_env`` would connect with (missing ones are absent).

            VSphere.settings_from_env().get("host")

        Nothing is connected; a password file (VMWARE_PASSWORD_FILE) is read.
        """
        return settings_from_env(os.environ if env is None else env)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> VSphere:
        """Connect with the settings in the environment, as Ansible's and govc's users know them.

            with VSphere.from_env(request_timeout=60) as vs: ...

        VMWARE_HOST, VMWARE_USER, VMWARE_PASSWORD (or VMWARE_PASSWORD_FILE, a file that holds
        it), VMWARE_PORT, VMWARE_VALIDATE_CERTS (false -> insecure), VMWARE_THUMBPRINT;
        falling back to GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD, GOVC_INSECURE. Keyword
        arguments override both.
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
    def service_instance(self) -> vim.ServiceInstance:
        """The raw pyVmomi ServiceInstance, for anything this library does not wrap.

            now = vs.service_instance.CurrentTime()

        Its calls share this connection's session, re-login and retries; a fault they meet is
        raised as this library's error (the fault is its ``fault`` and ``__cause__``).
        """
        return cast(vim.ServiceInstance, self._session.service_instance)

    @property
    def content(self) -> vim.ServiceInstanceContent:
        """The raw pyVmomi ServiceContent (read once, at login).

            version = vs.content.about.apiVersion

        Its managers' calls go through this connection, as ``service_instance``'s do.
        """
        return cast(vim.ServiceInstanceContent, self._session.content)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Stop following the inventory, end the library's threads and log out.

            vs.close()      # or leave a `with VSphere(...) as vs:` block

        A lost server is not waited for.
        """
        _OPEN.discard(self)
        self._session.transport.closing = True
        if self._tags_client is not None:
            self._tags_client.close()
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

    @property
    def vcenter(self) -> str:
        """This connection's server as a fleet names it.

            vs.vcenter   # "vc1.example.com"

        The host, with ":port" when the port is not the protocol's own.
        """
        return self._session.settings.vcenter

    def __repr__(self) -> str:
        s = self._session.settings
        return f"<VSphere {s.address} user:{s.username}>"


# Connections still open when the interpreter exits (a script that never called close()) are
# closed then, before the servers they talk to (a Simulator, stopped by its own exit hook)
# go away: otherwise the inventory watch would find its server gone and log that it retries
# for half a minute.
_OPEN: weakref.WeakSet[VSphere] = weakref.WeakSet()


def _close_all() -> None:
    for vs in list(_OPEN):
        vs.close()
