"""Tags (vAPI REST), events and statistics, checked through plain reads of the server."""

from __future__ import annotations

import itertools
from collections.abc import Callable
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
    with pytest.raises(InvalidInputError, match=f"^create category '{category}': category "):
        vsphere.tags.create_category(category)
    with pytest.raises(InvalidInputError, match="cardinality"):
        vsphere.tags.create_category("x", cardinality="SOME")


class RestCalls:
    """The (method, path) of every vAPI REST call the library makes, in order. ``before``
    maps a (method, path) to what another client does just before such a call goes out."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.before: dict[tuple[str, str], Callable[[], None]] = {}


@pytest.fixture
def rest_calls(vsphere, monkeypatch):
    recorder = RestCalls()
    client = vsphere.tags._rest
    real = client.call

    def call(method, path, body=None, **kwargs):
        recorder.calls.append((method, path))
        act = recorder.before.pop((method, path), None)
        if act is not None:
            act()
        return real(method, path, body, **kwargs)

    monkeypatch.setattr(client, "call", call)
    return recorder


def test_an_existing_tag_or_category_is_refused_before_anything_is_sent(
    vsphere, vsphere_simulator, category, rest_calls
):
    with pytest.raises(InvalidInputError) as caught:
        vsphere.tags.create_tag("prod", category)
    assert (
        str(caught.value) == f"create tag '{category}/prod': tag '{category}/prod' already exists"
    )
    with pytest.raises(InvalidInputError) as caught:
        vsphere.tags.create_category(category)
    assert (
        str(caught.value) == f"create category '{category}': category '{category}' already exists"
    )
    assert ("POST", "/tagging/tag") not in rest_calls.calls
    assert ("POST", "/tagging/category") not in rest_calls.calls
    # Read back without the library: one "prod" in the category, and one such category.
    ids = rest(vsphere_simulator, "GET", "/tagging/category")
    infos = [rest(vsphere_simulator, "GET", f"/tagging/category/id:{i}") for i in ids]
    (info,) = [c for c in infos if c["name"] == category]
    tag_ids = rest(
        vsphere_simulator, "POST", f"/tagging/tag/id:{info['id']}?~action=list-tags-for-category"
    )
    names = [rest(vsphere_simulator, "GET", f"/tagging/tag/id:{i}")["name"] for i in tag_ids]
    assert sorted(names) == ["dev", "prod"]
    # A tag of that name in another category is another tag.
    other = f"{category}-b"
    vsphere.tags.create_category(other)
    try:
        vsphere.tags.create_tag("prod", other)
        assert f"{other}/prod" in vsphere.tags.tags(other)
    finally:
        vsphere.tags.delete_category(other)


def test_what_another_client_makes_meanwhile_is_refused_by_the_server_in_a_sentence(
    vsphere, vsphere_simulator, category, rest_calls
):
    """The library's check and its request race with other clients: what the server then
    answers (com.vmware.vapi.std.errors.already_exists) reads as the check's refusal does."""
    name = f"{category}-race"
    ids = rest(vsphere_simulator, "GET", "/tagging/category")
    category_id = next(
        i
        for i in ids
        if rest(vsphere_simulator, "GET", f"/tagging/category/id:{i}")["name"] == category
    )

    def another_client_makes_the_category():
        spec = {"name": name, "description": "", "cardinality": "MULTIPLE", "associable_types": []}
        rest(vsphere_simulator, "POST", "/tagging/category", {"create_spec": spec})

    def another_client_makes_the_tag():
        spec = {"name": "staging", "description": "", "category_id": category_id}
        rest(vsphere_simulator, "POST", "/tagging/tag", {"create_spec": spec})

    rest_calls.before[("POST", "/tagging/category")] = another_client_makes_the_category
    try:
        with pytest.raises(InvalidInputError) as caught:
            vsphere.tags.create_category(name)
        assert str(caught.value) == f"create category '{name}': category '{name}' already exists"
        rest_calls.before[("POST", "/tagging/tag")] = another_client_makes_the_tag
        with pytest.raises(InvalidInputError) as caught:
            vsphere.tags.create_tag("staging", category)
        assert str(caught.value) == (
            f"create tag '{category}/staging': tag '{category}/staging' already exists"
        )
        # Both were sent: the server refused them, not the library's check.
        assert not rest_calls.before
        assert ("POST", "/tagging/category") in rest_calls.calls
        assert ("POST", "/tagging/tag") in rest_calls.calls
    finally:
        vsphere.tags.delete_category(name)
    assert sorted(vsphere.tags.tags(category)) == [
        f"{category}/dev",
        f"{category}/prod",
        f"{category}/staging",
    ]


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
