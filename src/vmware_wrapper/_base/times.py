"""Times as this library hands them out: in UTC, as ISO 8601 text.

    iso_utc(task.info.completeTime)      # "2026-12-03T07:40:00.123000+00:00"

vSphere sends times with their zone; a time without one (what a user may pass, or an odd
server) is taken as UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone


def utc(value: datetime) -> datetime:
    """The same moment in UTC (a time without a zone is taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def iso_utc(value: datetime) -> str:
    """ISO 8601 text of the moment, in UTC."""
    return utc(value).isoformat()
