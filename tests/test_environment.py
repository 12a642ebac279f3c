"""Connection settings from VMWARE_* and GOVC_* variables (pure logic)."""

from __future__ import annotations

import pytest

from vmware_wrapper import InvalidInputError, VSphere
from vmware_wrapper._transport.env import settings_from_env


def test_vmware_variables():
    env = {
        "VMWARE_HOST": "vc1",
        "VMWARE_USER": "admin",
        "VMWARE_PASSWORD": "pw",
        "VMWARE_PORT": "8443",
        "VMWARE_VALIDATE_CERTS": "false",
        "VMWARE_THUMBPRINT": "AB" * 20,
    }
    assert settings_from_env(env) == {
        "host": "vc1",
        "username": "admin",
        "password": "pw",
        "port": 8443,
        "insecure": True,
        "thumbprint": "AB" * 20,
    }


def test_govc_variables_are_the_fallback():
    env = {"GOVC_URL": "https://bob:s%40cret@vc2:444/sdk", "GOVC_INSECURE": "1"}
    assert settings_from_env(env) == {
        "host": "vc2",
        "port": 444,
        "protocol": "https",
        "username": "bob",
        "password": "s@cret",
        "insecure": True,
    }


def test_vmware_variables_win_over_govc_ones():
    env = {"GOVC_URL": "vc2", "GOVC_USERNAME": "bob", "VMWARE_HOST": "vc1"}
    settings = settings_from_env(env)
    assert settings["host"] == "vc1"
    assert settings["username"] == "bob"


def test_validate_certs_true_keeps_checks_on():
    assert settings_from_env({"GOVC_INSECURE": "true", "VMWARE_VALIDATE_CERTS": "yes"}) == {
        "insecure": False
    }


def test_missing_settings_are_named():
    with pytest.raises(InvalidInputError, match="VMWARE_HOST, VMWARE_PASSWORD"):
        VSphere.from_env(env={"VMWARE_USER": "x"})


def test_a_bad_port_is_named():
    with pytest.raises(InvalidInputError, match="VMWARE_PORT"):
        settings_from_env({"VMWARE_PORT": "https"})
