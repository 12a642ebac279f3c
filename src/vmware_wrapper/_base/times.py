"""Times as this library hands them out: in UTC, as ISO 8601 text; and timeouts as it takes
them.

    iso_utc(task.info.completeTime)      # "2026-12-03T07:40:00.123000+00:00"
    check_timeout(timeout)               # InvalidInputError unless None or seconds > 0

vSphere sends times with their zone; a time without one (what a user may pass, or an odd
server) is taken as UTC.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from ..errors import InvalidInputError


def check_timeout(timeout: float | None) -> None:
    """A timeout in seconds: a finite number above 0, or None (no limit, or the default).
    NaN and infinity are refused: no deadline can be computed from them (an infinite wait is
    None)."""
    if timeout is None:
        return
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not timeout > 0
        or not math.isfinite(timeout)
    ):
        raise InvalidInputError(f"timeout={timeout!r}: seconds, a finite number more than 0")


def utc(value: datetime) -> datetime:
    """The same moment in UTC (a time without a zone is taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def iso_utc(value: datetime) -> str:
    """ISO 8601 text of the moment, in UTC."""
    return utc(value).isoformat()
