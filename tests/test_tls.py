"""Thumbprints and TLS policies (pure logic)."""

from __future__ import annotations

import ssl

import pytest

from vmware_wrapper._transport.tls import (
    TLSPolicy,
    format_thumbprint,
    make_ssl_context,
    normalize_thumbprint,
)
from vmware_wrapper.errors import InvalidInputError

SHA1 = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01"


@pytest.mark.parametrize(
    "given",
    [SHA1, SHA1.lower(), SHA1.replace(":", ""), " " + SHA1 + " ", SHA1.replace(":", "").lower()],
)
def test_thumbprints_are_accepted_in_any_case_with_or_without_colons(given):
    assert normalize_thumbprint(given) == SHA1.replace(":", "").lower()


def test_sha256_thumbprints_are_accepted():
    assert len(normalize_thumbprint("0" * 64)) == 64


@pytest.mark.parametrize("bad", ["", "xyz", "AB:CD", "g" * 40, "0" * 41])
def test_malformed_thumbprints_are_refused(bad):
    with pytest.raises(InvalidInputError, match="thumbprint"):
        normalize_thumbprint(bad)


def test_format_thumbprint_is_how_vsphere_shows_it():
    assert format_thumbprint(SHA1.replace(":", "").lower()) == SHA1


def test_default_policy_verifies_certificates_and_names():
    context = make_ssl_context(TLSPolicy())
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_insecure_policy_checks_nothing():
    context = make_ssl_context(TLSPolicy(insecure=True))
    assert context.verify_mode == ssl.CERT_NONE


def test_pinned_policy_keeps_the_normalized_pin():
    context = make_ssl_context(TLSPolicy(thumbprint=SHA1))
    assert context.pinned == SHA1.replace(":", "").lower()
