"""Escaping, paths and helpers for names, and sizes as text (pure logic)."""

from __future__ import annotations

import pytest

from vmware_wrapper._base.names import (
    close_matches,
    escape_name,
    looks_like_uuid,
    normalize_uuid,
    not_xml,
    path_matches,
    split_path,
    to_ascii,
    unescape_name,
)
from vmware_wrapper._base.sizes import size_text


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("web/01", "web%2f01"),
        ("100%", "100%25"),
        ("a\\b", "a%5cb"),
        ("%2f", "%252f"),
        ("plain", "plain"),
    ],
)
def test_escaping_round_trips(typed, stored):
    assert escape_name(typed) == stored
    assert unescape_name(stored) == typed


def test_unescaping_accepts_either_case():
    assert unescape_name("a%2Fb%5C") == "a/b\\"


def test_split_path():
    assert split_path("/DC0/vm/web/") == ["DC0", "vm", "web"]
    assert split_path("DC0") == ["DC0"]
    assert split_path("/") == []
    assert split_path("//") == []


def test_split_path_keeps_names_as_typed():
    # vSphere holds names such as "web ": no segment loses its spaces.
    assert split_path("/DC0/vm/a ") == ["DC0", "vm", "a "]
    assert split_path(" /DC0/ vm/") == [" ", "DC0", " vm"]


@pytest.mark.parametrize("text", ["", "plain", "tab\tnew\nline\rreturn", "漢字😀", "\U0010ffff"])
def test_text_xml_carries(text):
    assert not_xml(text) is None


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("a\x00b", "\x00"),
        ("\x1f", "\x1f"),
        ("lone \ud800", "\ud800"),
        ("\ud83d\ude00", "\ud83d"),  # a surrogate pair in a str is two lone surrogates
        ("x\ufffe", "\ufffe"),
        ("\uffff", "\uffff"),
    ],
)
def test_text_xml_cannot_carry(text, bad):
    assert not_xml(text) == bad


def test_uuids():
    assert looks_like_uuid("4221C6A7-0E7F-5E1B-3D94-6F1F2D7C1E00")
    assert looks_like_uuid("4221c6a70e7f5e1b3d946f1f2d7c1e00")
    assert not looks_like_uuid("web-07")
    assert (
        normalize_uuid("4221C6A70E7F5E1B3D946F1F2D7C1E00") == "4221c6a7-0e7f-5e1b-3d94-6f1f2d7c1e00"
    )


def test_close_matches_ignore_case():
    assert close_matches("WEB-7", ["web-07", "db-01"]) == ["web-07"]


def test_to_ascii():
    assert to_ascii("Café Müller") == "Cafe Muller"
    assert to_ascii("服务器-01") == "----01"


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/DC0/vm/*", "/DC0/vm/web-01", True),
        ("/DC0/vm/*", "/DC0/vm/web/web-01", False),  # * stays within one level
        ("/DC0/vm/*/web-0?", "/DC0/vm/web/web-01", True),
        ("/DC0/vm/**", "/DC0/vm/web/prod/web-01", True),
        ("/DC0/vm/**/web-01", "/DC0/vm/web-01", True),  # ** also spans no level
        ("/DC0/vm/**/web-01", "/DC0/vm/a/b/web-01", True),
        ("/DC0/vm/**/web-01", "/DC0/vm/a/b/web-02", False),
        ("**/web-[0-9][0-9]", "/F0/DC1/vm/web-07", True),
        ("DC0/vm/web-*", "/DC0/vm/web-01", True),  # leading slash optional
        ("/DC0/vm/back\\slash*", "/DC0/vm/back%5cslash", True),  # as the name reads
        ("/DC0/vm/a%2fb", "/DC0/vm/a%2fb", True),  # as stored
        ("/DC0/*", "/DC0", False),
    ],
)
def test_path_globs_match_level_by_level(pattern, path, expected):
    assert path_matches(pattern, path) is expected


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KB"),
        (5 * 2**20, "5.0 MB"),
        (3 * 2**30 // 2, "1.5 GB"),
        (2**40, "1.0 TB"),
        (2**50, "1024.0 TB"),
    ],
)
def test_sizes_read_as_people_read_them(size: int, text: str) -> None:
    assert size_text(size) == text
