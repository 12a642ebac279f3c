"""Objects added after a client started watching reach its container views, as on vCenter:
the stock simulator registers new pools, vApps and hosts before linking them to their
parent, and views made earlier never took them in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, plain_pyvmomi, pool_allocation, wait_task
from vmware_wrapper.testing import Simulator


@pytest.fixture(scope="module")
def si() -> Iterator[Any]:
    with (
        Simulator(vms_per_pool=1, hosts_per_cluster=1, tools_delay=0) as sim,
        plain_pyvmomi(sim) as service_instance,
    ):
        yield service_instance


@pytest.fixture
def view(si: Any) -> Iterator[Any]:
    """A view of every entity, made before the test adds anything."""
    content = si.content
    container = content.viewManager.CreateContainerView(
        content.rootFolder, [vim.ManagedEntity], True
    )
    yield container
    container.Destroy()


def _in_view(view: Any, obj: Any) -> bool:
    return obj._moId in {o._moId for o in view.view}


def test_new_pools_and_vapps_enter_existing_views(si, view):
    cluster = all_objects(si, vim.ClusterComputeResource)[0]
    datacenter = si.content.rootFolder.childEntity[0]
    pool = cluster.resourcePool.CreateResourcePool("later-pool", pool_allocation())
    nested = pool.CreateResourcePool("later-nested", pool_allocation())
    vapp = cluster.resourcePool.CreateVApp(
        "later-vapp", pool_allocation(), vim.VAppConfigSpec(), datacenter.vmFolder
    )
    assert _in_view(view, pool)
    assert _in_view(view, nested)
    assert _in_view(view, vapp)


def test_new_hosts_enter_existing_views(si, view):
    cluster = all_objects(si, vim.ClusterComputeResource)[0]
    datacenter = si.content.rootFolder.childEntity[0]
    clustered = wait_task(
        cluster.AddHost(vim.host.ConnectSpec(hostName="later-clustered"), asConnected=True)
    )
    added = wait_task(
        datacenter.hostFolder.AddStandaloneHost(
            vim.host.ConnectSpec(hostName="later-standalone"), addConnected=True
        )
    )
    # vCenter answers the new compute resource; the simulator, like its stock one, the host.
    compute = added.parent if isinstance(added, vim.HostSystem) else added
    assert _in_view(view, clustered)
    assert _in_view(view, compute)
    assert _in_view(view, compute.host[0])
    assert _in_view(view, compute.resourcePool)
