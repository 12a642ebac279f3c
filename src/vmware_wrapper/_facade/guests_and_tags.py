"""Inside a guest, and tags on objects.

result = vs.guest("web-07", "root", password).run("/bin/uname", "-a")
vs.tags.attach("env/prod", "web-07")
"""

from __future__ import annotations

from .._base.types import VMRef
from .._operations.guest import Guest
from .._operations.tags import Tags
from .base import Facade


class GuestsAndTags(Facade):
    _tags_client: Tags | None = None

    def guest(
        self, vm: VMRef, username: str, password: str, *, ready_timeout: float = 120.0
    ) -> Guest:
        """Operations inside a VM's guest, with these guest credentials.

            result = vs.guest("web-07", "root", password).run("/bin/uname", "-a")

        ``run``, ``upload``, ``download``, processes, directories. Making it costs no round
        trip; the first call waits up to ``ready_timeout`` seconds for the guest's
        operations to be ready.
        """
        entry, obj = self._ops.vm(vm)
        return Guest(self._ops, entry, obj, username, password, ready_timeout)

    @property
    def tags(self) -> Tags:
        """Tags and categories (vAPI REST, with this connection's credentials and TLS).

            vs.tags.create_category("env", cardinality="SINGLE")

        The REST session is made on first use and ends with ``close()``.
        """
        if self._tags_client is None:
            self._tags_client = Tags(self._ops)
        return self._tags_client
