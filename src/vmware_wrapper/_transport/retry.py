"""The retry policy, in one place: which failures are worth another try, how long to wait
between tries, and when to give up.

    policy = RetryPolicy(retry_timeout=30)
    result = retry_transient(call, "start 'ls' in 'web-07'", deadline, is_transient_guest_fault)

Two kinds of failure are retried, each with the same exponential backoff (0.1 s doubling up to
2 s) until a deadline:

- an unreachable server (refused, reset, HTTP 502/503 while vCenter restarts): by the SOAP
  transport (``soap.Transport``), for up to ``retry_timeout`` seconds, then ConnectError;
- a guest that is not ready yet (its tools starting or busy): guest operations and the guest
  power requests (shutdown, reboot), until the operation's own deadline, then the last error.

Everything else fails at once: the server said no, and asking again would not change that.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..errors import VSphereError
from .faults import is_fault

T = TypeVar("T")

FIRST_BACKOFF = 0.1
MAX_BACKOFF = 2.0

# Faults a guest throws at requests while its tools start or are busy. InvalidPowerState is an
# InvalidState, but a VM that is off stays off: not worth waiting for.
GUEST_TRANSIENT_FAULTS = (
    "GuestOperationsUnavailable",
    "ToolsUnavailable",
    "GuestComponentsOutOfDate",
    "InvalidState",
    "SystemError",
)
_NEVER_TRANSIENT = ("InvalidPowerState",)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying (seconds)."""

    retry_timeout: float = 30.0  # an unreachable server, once a session was up
    # ... and before the first session: a refused port or a name that does not resolve is
    # far more often a typo than a server restarting, so say so at once (govc, PowerCLI and
    # Ansible fail at once too). A caller who knows the server is coming up passes both.
    first_retry_timeout: float = 2.0  # so that the whole first connection fails within 3 s
    request_timeout: float = 120.0  # one request's answer, before OperationTimeout


class Backoff:
    """Pauses between tries: 0.1 s, doubling up to 2 s, never past the deadline."""

    def __init__(self, deadline: float | None, first: float = FIRST_BACKOFF) -> None:
        self.deadline = deadline
        self.delay = first

    def pause(self) -> bool:
        """Wait before the next try (the last one at the deadline); False once the deadline
        has passed."""
        delay = self.delay
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                return False
            delay = min(delay, left)
        time.sleep(delay)
        self.delay = min(self.delay * 2, MAX_BACKOFF)
        return True


def is_transient_guest_fault(error: BaseException) -> bool:
    """Whether a guest request's error is one a guest throws while its tools start."""
    if any(is_fault(error, name) for name in _NEVER_TRANSIENT):
        return False
    return any(is_fault(error, name) for name in GUEST_TRANSIENT_FAULTS)


def retry_transient(
    call: Callable[[], T],
    description: str,
    deadline: float | None,
    transient: Callable[[BaseException], bool],
    logger: logging.Logger,
) -> T:
    """``call()``, tried again with backoff while it fails with a transient error and the
    deadline allows; then that error. Errors are this library's (the transport translated
    them), so a caller needs no handling of its own."""
    backoff = Backoff(deadline, first=0.2)
    while True:
        try:
            return call()
        except VSphereError as e:
            if not transient(e):
                raise
            logger.debug("%s: %s; retrying", description, e)
            if not backoff.pause():
                raise
