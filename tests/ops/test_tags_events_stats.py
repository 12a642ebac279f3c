"""Tags (vAPI REST), events and statistics, checked through plain reads of the server."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from pyVmomi import vim

from tests.helpers import rest
from vmware_wrapper import (
    AmbiguousNameError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
)

_seq = itertools.count()


@pytest.fixture
def category(vsphere):
    name = f"env-{next(_seq)}"
    vsphere.tags.create_category(name, cardinality="SINGLE", types=("vm",))
    vsphere.tags.create_tag("prod", name)
    vsphere.tags.create_tag("dev", name)
    yield name
    vsphere.tags.delete_category(name)


def test_tags_attach_and_detach_by_name(vsphere, vsphere_simulator, fresh_vm, category):
    vsphere.tags.attach(f"{category}/prod", fresh_vm.name)
    assert vsphere.tags.tags_of(fresh_vm.name) == [f"{category}/prod"]
    assert [o._moId for o in vsphere.tags.objects_with(f"{category}/prod")] == [fresh_vm._moId]
    # Read back without the library:
    attached = rest(
        vsphere_simulator,
        "POST",
        "/tagging/tag-association?~action=list-attached-tags",
        {"object_id": {"id": fresh_vm._moId, "type": "VirtualMachine"}},
    )
    names = [rest(vsphere_simulator, "GET", f"/tagging/tag/id:{i}")["name"] for i in attached]
    assert names == ["prod"]
    vsphere.tags.attach(f"{category}/prod", fresh_vm.name)  # already: nothing to do
    vsphere.tags.detach(f"{category}/prod", fresh_vm.name)
    assert vsphere.tags.tags_of(fresh_vm.name) == []


def test_categories_and_tags_are_listed(vsphere, vsphere_simulator, category):
    assert category in vsphere.tags.categories()
    assert vsphere.tags.tags(category) == [f"{category}/dev", f"{category}/prod"]
    ids = rest(vsphere_simulator, "GET", "/tagging/category")
    infos = [rest(vsphere_simulator, "GET", f"/tagging/category/id:{i}") for i in ids]
    info = next(c for c in infos if c["name"] == category)
    assert info["cardinality"] == "SINGLE"
    assert info["associable_types"] == ["VirtualMachine"]


def test_single_cardinality_and_associable_types_are_enforced(vsphere, fresh_vm, category):
    vsphere.tags.attach(f"{category}/prod", fresh_vm.name)
    with pytest.raises(InvalidStateError, match="one tag per object"):
        vsphere.tags.attach(f"{category}/dev", fresh_vm.name)
    with pytest.raises(InvalidInputError, match="takes only VirtualMachine"):
        vsphere.tags.attach(f"{category}/dev", "DC0_C0_H0")
    vsphere.tags.detach(f"{category}/prod", fresh_vm.name)


def test_tag_names_are_resolved_like_inventory_names(vsphere, category):
    other = f"{category}-other"
    vsphere.tags.create_category(other)
    vsphere.tags.create_tag("prod", other)
    try:
        with pytest.raises(AmbiguousNameError, match="category/name"):
            vsphere.tags.attach("prod", "DC0_H0_VM0")
        with pytest.raises(NotFoundError, match="no tag 'nope'"):
            vsphere.tags.attach("nope", "DC0_H0_VM0")
        with pytest.raises(NotFoundError, match="no tag category"):
            vsphere.tags.create_tag("x", "no-such-category")
        vsphere.tags.attach(f"{other}/prod", "DC0_C0")  # any inventory object
        assert vsphere.tags.tags_of("DC0_C0") == [f"{other}/prod"]
    finally:
        vsphere.tags.delete_category(other)


def test_duplicate_categories_are_refused(vsphere, category):
    with pytest.raises(InvalidInputError):
        vsphere.tags.create_category(category)
    with pytest.raises(InvalidInputError, match="cardinality"):
        vsphere.tags.create_category("x", cardinality="SOME")


def test_events_of_a_vm_newest_first(vsphere, si, fresh_vm):
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    vsphere.power_off(fresh_vm.name)
    vsphere.power_on(fresh_vm.name)
    events = vsphere.events(fresh_vm.name, since=since, limit=10)
    types = [e.type for e in events]
    assert types.index("VmPoweredOnEvent") < types.index("VmPoweredOffEvent")
    assert all(e.object_name == fresh_vm.name for e in events)
    assert [e.time for e in events] == sorted((e.time for e in events), reverse=True)
    # The same events through plain pyVmomi:
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=fresh_vm, recursion="self"),
        maxCount=1000,  # the simulator answers a default page of 10 with the oldest events
    )
    server = {e.key for e in si.content.eventManager.QueryEvents(spec)}
    assert {e.key for e in events} <= server


def test_events_filtered_by_type_and_limited(vsphere, fresh_vm):
    vsphere.power_off(fresh_vm.name)
    vsphere.power_on(fresh_vm.name)
    vsphere.power_off(fresh_vm.name)
    events = vsphere.events(types=["VmPoweredOffEvent"], limit=2)
    assert [e.type for e in events] == ["VmPoweredOffEvent"] * 2
    assert events[0].object_name == fresh_vm.name
    assert len(vsphere.events(limit=3)) == 3
    base = vsphere.events(fresh_vm.name, types=["VmEvent"], limit=50)
    assert {"VmPoweredOffEvent", "VmPoweredOnEvent"} <= {e.type for e in base}


def test_no_event_collectors_are_left_behind(vsphere, si):
    for _ in range(15):
        vsphere.events(limit=1)  # vCenter limits collectors per session; each is destroyed
    with pytest.raises(InvalidInputError, match="limit"):
        vsphere.events(limit=0)


def test_statistics_by_metric_name(vsphere, si):
    data = vsphere.stats("DC0_H0_VM0", ("cpu.usage.average", "mem.usage.average"), samples=4)
    assert set(data) == {"cpu.usage.average", "mem.usage.average"}
    for samples in data.values():
        assert len(samples) == 4
        times = [t for t, _ in samples]
        assert times == sorted(times)
        assert all(0 <= v <= 100 for _, v in samples)  # percent
    host = vsphere.stats("DC0_H0", ["cpu.usage.average"], samples=2)  # a standalone host
    assert len(host["cpu.usage.average"]) == 2
    # The counter behind the name, through plain pyVmomi:
    counters = {
        f"{c.groupInfo.key}.{c.nameInfo.key}.{c.rollupType}": c.key
        for c in si.content.perfManager.perfCounter
    }
    assert "cpu.usage.average" in counters


def test_statistics_refuse_unknown_metrics_and_kinds(vsphere):
    with pytest.raises(InvalidInputError, match=r"did you mean 'cpu\.usage\.average'"):
        vsphere.stats("DC0_H0_VM0", ["cpu.usage.avg"])
    with pytest.raises(InvalidInputError, match="for VMs and hosts"):
        vsphere.stats("DC0", ["cpu.usage.average"])
    with pytest.raises(InvalidInputError, match="samples"):
        vsphere.stats("DC0_H0_VM0", samples=0)
