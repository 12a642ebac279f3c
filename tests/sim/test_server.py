"""The simulator program itself: inventory flags, credentials, TLS, sessions, REST, lifecycle."""

from __future__ import annotations

import base64
import json
import os
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from pyVmomi import vim

from tests.helpers import all_objects
from vmware_wrapper.testing import Simulator, find_binary


def logout(si):
    si.content.sessionManager.Logout()
    si._stub.DropConnections()


def test_inventory_flags_shape_the_inventory():
    options = dict(
        datacenters=2,
        clusters=2,
        hosts_per_cluster=2,
        standalone_hosts=1,
        vms_per_pool=3,
        pools=1,
        folders=1,
    )
    with Simulator(**options) as sim:
        si = sim.pyvmomi()
        try:
            assert len(all_objects(si, vim.Datacenter)) == 2
            assert len(all_objects(si, vim.ClusterComputeResource)) == 4
            assert len(all_objects(si, vim.HostSystem)) == 2 * (2 * 2 + 1)
            vms = all_objects(si, vim.VirtualMachine)
            assert len(vms) == sim.vm_count
            # 3 VMs per standalone host and per cluster (in its root pool), per datacenter.
            assert len(vms) == 2 * 3 * (1 + 2)
            assert len(all_objects(si, vim.ResourcePool)) == 2 * (1 + 2 * 2)
            assert all(isinstance(f.parent, vim.Folder) for f in all_objects(si, vim.Datacenter))
        finally:
            logout(si)


def test_enforced_credentials_reject_a_wrong_password():
    with Simulator(username="admin", password="right", vms_per_pool=0) as sim:
        si = sim.pyvmomi()
        logout(si)
        sim.password = "wrong"
        with pytest.raises(vim.fault.InvalidLogin):
            sim.pyvmomi()
        # The REST (vAPI) login enforces them too.
        assert rest_login(sim, "admin", "wrong") == 401
        assert rest_login(sim, "admin", "right") == 200


def test_without_enforced_credentials_any_non_empty_pair_logs_in(vsphere_simulator):
    assert rest_login(vsphere_simulator, "anyone", "anything") == 200


def rest_login(sim, user, password, context=None):
    request = urllib.request.Request(
        f"{sim.protocol}://{sim.host}:{sim.port}/rest/com/vmware/cis/session", method="POST"
    )
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, context=context) as response:
            assert json.load(response)["value"]
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_tls_serves_a_fresh_self_signed_certificate():
    with Simulator(tls=True, vms_per_pool=0) as sim:
        assert sim.url.startswith("https://")
        der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((sim.host, sim.port)))
        import hashlib

        sha256 = hashlib.sha256(der).hexdigest()
        assert sim.thumbprint.replace(":", "").lower() == sha256
        assert sim.thumbprint_sha1.replace(":", "").lower() == hashlib.sha1(der).hexdigest()
        # Unknown to the system's CA store: refused unless trusted explicitly.
        with pytest.raises(ssl.SSLCertVerificationError):
            ssl.create_default_context().wrap_socket(
                __import__("socket").create_connection((sim.host, sim.port)),
                server_hostname=sim.host,
            )
        trusted = ssl.create_default_context(cafile=sim.ca_file)
        assert rest_login(sim, "u", "p", context=trusted) == 200
        si = sim.pyvmomi()  # verifies against ca_file
        logout(si)
    with Simulator(tls=True, vms_per_pool=0) as other:
        assert other.thumbprint != sim.thumbprint


def test_idle_sessions_expire():
    with Simulator(session_idle_timeout=1, vms_per_pool=0) as sim:
        si = sim.pyvmomi()
        si.CurrentTime()
        time.sleep(2.5)
        with pytest.raises(vim.fault.NotAuthenticated):
            si.CurrentTime()
        si._stub.DropConnections()


def test_only_loopback_addresses_are_accepted():
    result = subprocess.run(
        [find_binary(), "-listen", "0.0.0.0:0"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "only loopback" in result.stderr


def test_help_says_test_use_only():
    result = subprocess.run([find_binary(), "-h"], capture_output=True, text=True, timeout=30)
    assert "TEST USE ONLY" in result.stderr


def test_stops_cleanly_on_sigterm_and_removes_the_guest_sandboxes():
    sim = Simulator(vms_per_pool=1).start()
    process = sim._process
    root = sim.guest_root
    assert os.path.isdir(root)
    os.kill(sim.pid, signal.SIGTERM)
    assert process.wait(10) == 0
    assert not os.path.exists(root)
    sim.stop()


def test_ready_line_describes_the_server(vsphere_simulator):
    sim = vsphere_simulator
    assert sim.url == f"http://{sim.host}:{sim.port}/sdk"
    assert sim.host == "127.0.0.1"
    assert sim.pid > 0
    assert sim.running
