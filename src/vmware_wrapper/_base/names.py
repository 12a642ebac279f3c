"""Names as people type them, and as vCenter stores them.

    escape_name("web/01")        -> "web%2f01"
    unescape_name("web%2f01")    -> "web/01"

vCenter stores "/" in an entity's name as "%2f", "\\" as "%5c" and "%" as "%25", and the API
asks clients to escape "%" themselves (vSphere API reference, ManagedEntity.name). People
type and read the unescaped form, which is what this library shows and matches against.
In inventory paths, a segment is a stored (escaped) name or an unescaped one without "/".
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import unicodedata

_ESCAPED = re.compile(r"%(2[fF]|5[cC]|25)")
_UNESCAPE = {"2f": "/", "5c": "\\", "25": "%"}
_GLOB_CHARS = re.compile(r"[*?\[]")
_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)

MAX_NAME_LENGTH = 80

# What XML 1.0 cannot carry (its Char production allows tab, LF, CR and everything from
# U+0020 on, but the surrogates U+D800-U+DFFF and U+FFFE, U+FFFF), hence no SOAP request
# either: pyVmomi fails to encode a lone surrogate (UnicodeEncodeError, before sending) and
# the server refuses a request with the others.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape_name(name: str) -> str:
    """The form vCenter stores: "%" -> "%25", "/" -> "%2f", "\\" -> "%5c"."""
    return name.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def unescape_name(stored: str) -> str:
    """The form people read: the inverse of escape_name (case-insensitive hex)."""
    if "%" not in stored:
        return stored
    return _ESCAPED.sub(lambda m: _UNESCAPE[m.group(1).lower()], stored)


def split_path(path: str) -> list[str]:
    """Inventory path segments: "/DC0/vm/web" -> ["DC0", "vm", "web"] (leading slash optional).

    Segments are kept exactly as typed, spaces included: vSphere holds names such as "web "
    (whether to forgive spaces around what was typed is the caller's decision)."""
    return [segment for segment in path.split("/") if segment]


def not_xml(text: str) -> str | None:
    """The first character of ``text`` that XML 1.0 (and so SOAP) cannot carry, or None."""
    found = _NOT_XML.search(text)
    return found.group() if found else None


def join_path(names: list[str]) -> str:
    """The inventory path of stored names, root first: ["DC0", "vm"] -> "/DC0/vm"."""
    return "/" + "/".join(names)


def is_glob(pattern: str) -> bool:
    return bool(_GLOB_CHARS.search(pattern))


def path_matches(pattern: str, path: str) -> bool:
    """Whether an inventory path matches a glob over paths, as a shell matches files:
    ``*``, ``?`` and ``[...]`` stay within one level, ``**`` spans any number of levels.
    Each level matches as stored ("back%5cslash") or as the name reads ("back\\slash")."""
    return _levels_match(split_path(pattern), split_path(path))


def _levels_match(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_levels_match(rest, path[i:]) for i in range(len(path) + 1))
    return (
        bool(path)
        and (
            fnmatch.fnmatchcase(path[0], head) or fnmatch.fnmatchcase(unescape_name(path[0]), head)
        )
        and _levels_match(rest, path[1:])
    )


def looks_like_uuid(text: str) -> bool:
    return bool(_UUID.match(text.strip()))


def normalize_uuid(text: str) -> str:
    """A UUID in vSphere's form: lowercase, with dashes."""
    hexdigits = text.strip().replace("-", "").lower()
    parts = (hexdigits[:8], hexdigits[8:12], hexdigits[12:16], hexdigits[16:20], hexdigits[20:])
    return "-".join(parts)


def close_matches(name: str, candidates: list[str], limit: int = 5) -> list[str]:
    """Names that look like the one given, best first (for "did you mean" messages)."""
    lowered = {c.lower(): c for c in candidates}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=limit, cutoff=0.6)
    return [lowered[h] for h in hits]


def to_ascii(text: str, replacement: str = "-") -> str:
    """Plain ASCII for names that other tools choke on: accents are dropped ("Café" ->
    "Cafe"), other non-ASCII characters become ``replacement``."""
    decomposed = unicodedata.normalize("NFKD", text)
    out = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        out.append(char if char.isascii() else replacement)
    return "".join(out)
