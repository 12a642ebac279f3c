"""Sizes in bytes as people read them."""

from __future__ import annotations

_UNITS = ("KB", "MB", "GB", "TB")


def size_text(size: int) -> str:
    """Bytes as people read them: "512 B", "4.0 MB", "1.5 TB"."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    unit = 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{value:.1f} {_UNITS[unit]}"
