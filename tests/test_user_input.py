"""What users type, generated (Hypothesis): names and paths with "%", "/" and "\\", accents,
CJK and emoji, control characters, spaces at either end, empty and over-long strings, and
values of the wrong type (None, numbers, bytes, lists, dicts, objects), through every lookup
and a representative set of changes. Three properties, the server read back through plain
pyVmomi, never through the library:

(a) only this library's errors come out: VSphereError and its subclasses (InvalidInputError
    is also a ValueError), never a raw pyVmomi fault, a TypeError, AttributeError, KeyError...;
(b) a name made through the library (a folder by create_folder, a VM by rename or clone_vm, a
    snapshot, a custom field, notes) is found again as typed, and vCenter stores a name
    escaped ("%" -> %25, "/" -> %2f, "\\" -> %5c); a name that vCenter can hold is not
    refused;
(c) a refused call (InvalidInputError, NotFoundError, AmbiguousNameError) changes nothing on
    the server.

In CI the examples are fixed and few (the "ci" Hypothesis profile, tests/conftest.py);
`make fuzz` runs the same properties with many more examples on a new seed each time.
Everything the tests make is removed again: after each example, folders after their test.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from pyVmomi import vim, vmodl

from tests.helpers import find_vm, plain_pyvmomi, wait_task, wait_until
from vmware_wrapper import (
    AmbiguousNameError,
    InvalidInputError,
    NotFoundError,
    SnapshotInfo,
    VMInfo,
    VSphere,
    VSphereError,
)
from vmware_wrapper.testing import Simulator

# -- names as vCenter stores them (the rule restated here, independent of the library) -----


def stored(name: str) -> str:
    """vCenter's form of a name: "%" -> %25, "/" -> %2f, "\\" -> %5c."""
    return name.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


_ESCAPE = re.compile(r"%(2[fF]|5[cC]|25)")


def as_read(segment: str) -> str:
    """The name a path segment stands for: a segment may be typed in vCenter's form."""
    return _ESCAPE.sub(lambda m: {"2f": "/", "5c": "\\", "25": "%"}[m.group(1).lower()], segment)


def xml_safe(text: str) -> bool:
    """Whether SOAP (XML 1.0 in UTF-8) can carry the text at all."""
    return not any(
        (ord(c) < 32 and c not in "\t\n\r") or c in "\ufffe\uffff" or "\ud800" <= c <= "\udfff"
        for c in text
    )


def acceptable(name: Any) -> bool:
    """A name vCenter holds, that the library has no reason to refuse: 1 to 80 characters,
    no control characters, no spaces at either end, all of it carried by XML."""
    return (
        isinstance(name, str)
        and 0 < len(name) <= 80
        and name == name.strip()
        and not any(ord(c) < 32 for c in name)
        and xml_safe(name)
    )


# -- what users type ---------------------------------------------------------------------------

PLAIN = string.ascii_letters + string.digits + "-_."
ESCAPES = ("%", "%2f", "%2F", "%25", "%5c", "%5C", "/", "\\", "%%", "%2", "%zz", "%%2f", "%252f")
UNICODE = (
    "é",
    "Ä",
    "ñ",
    "e\u0301",  # e and a combining accent
    "漢字",
    "テスト",
    "한국",
    "😀",
    "👍🏽",
    "🇺🇳",
    "\u200b",  # zero width space
    "\u00a0",  # no-break space
    "\u2028",  # line separator
    "\ufeff",
    "\U0010ffff",
)
GLOBS = ("*", "?", "[", "]", "[!a]", "**", "[a-", "[z-a]")
CONTROL = tuple(chr(c) for c in (*range(32), 0x7F, 0x85, 0x9F))
NONCHARACTERS = ("\ufffe", "\uffff")  # Unicode, but not XML
SURROGATES = ("\ud800", "\udfff", "\ud83d\ude00")  # str, but not Unicode text (surrogateescape)

_printable_fragment = st.one_of(
    st.text(PLAIN, min_size=1, max_size=8),
    st.sampled_from(ESCAPES),
    st.sampled_from(UNICODE),
    st.sampled_from(GLOBS),
    st.text(st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S"]), min_size=1),
)
_odd_fragment = st.one_of(
    st.sampled_from(CONTROL + NONCHARACTERS + SURROGATES),
    st.sampled_from((" ", "  ", "\t", "\n", "\u3000")),
)


@st.composite
def _with_edges(draw: st.DrawFn, inner: st.SearchStrategy[str]) -> str:
    """Spaces or control characters at either end."""
    pad = st.sampled_from(("", " ", "  ", "\t", "\n", "\u00a0", "\x00"))
    return draw(pad) + draw(inner) + draw(pad)


# Names vCenter holds as they are (the acceptable() ones, mostly).
printable_names = (
    st.lists(_printable_fragment, min_size=1, max_size=6)
    .map("".join)
    .map(lambda s: s[:80].strip() or "x")
)
# Anything typed as a name: printable, with odd characters inside or at the ends, empty,
# blank, 80 characters and more.
typed_names = st.one_of(
    printable_names,
    st.lists(st.one_of(_printable_fragment, _odd_fragment), min_size=1, max_size=6).map("".join),
    _with_edges(printable_names),
    st.sampled_from(("", " ", "\t", "\n", "/", "//", "%", "\\")),
    st.integers(1, 3).map(lambda k: "x" * (78 + k)),  # 79 to 81
    st.sampled_from(("é", "漢", "😀", "/", "%")).flatmap(
        lambda c: st.sampled_from((c * 80, c * 81))
    ),
    st.text(st.characters(codec="utf-8"), min_size=81, max_size=120),
)

wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.binary(max_size=12),
    st.just(b"DC0_H0_VM0"),
    st.lists(st.integers(), max_size=2),
    st.lists(st.just("DC0_H0_VM0"), min_size=1, max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.tuples(st.integers()),
    st.sets(st.integers(), max_size=2),
    st.builds(object),
    st.sampled_from((int, str, vim.VirtualMachine, Ellipsis, 1j)),
)

EXISTING = (
    "DC0",
    "DC0_C0",
    "DC0_H0",
    "DC0_C0_H0",
    "DC0_H0_VM0",
    "DC0_C0_RP0_VM0",
    "LocalDS_0",
    "VM Network",
    "DVS0",
    "DC0_DVPG0",
    "Resources",
    "vm",
    "host",
    "/DC0/vm",
    "/DC0/vm/DC0_H0_VM0",
    "DC0/vm/DC0_H0_VM0",
    "/DC0/host/DC0_C0/Resources",
    "/DC0/host/DC0_C0/DC0_C0_H0",
    "ui-twin",  # two VMs have this name
    "vm-1",
    "group-v3",
    "host-21",
)


def _decorate(name: str, how: str) -> str:
    return {
        "as is": name,
        "spaces": f"  {name} ",
        "upper": name.upper(),
        "escaped": stored(name),
        "star": name + "*",
        "slash": name + "/",
        "double slash": name.replace("/", "//"),
        "nul": name + "\x00",
        "truncated": name[:-1],
    }[how]


existing_refs = st.builds(
    _decorate,
    st.sampled_from(EXISTING),
    st.sampled_from(
        ("as is", "spaces", "upper", "escaped", "star", "slash", "double slash", "nul", "truncated")
    ),
)


@st.composite
def paths(draw: st.DrawFn) -> str:
    """Inventory paths, existing or not, with typed names in them."""
    head = draw(st.sampled_from(("", "/", "/DC0/", "/DC0/vm/", "/DC0/host/DC0_C0/", "//DC0//vm/")))
    names = draw(st.lists(typed_names, max_size=3))
    tail = draw(st.sampled_from(("", "/", "//")))
    return head + "/".join(names) + tail


@dataclass(frozen=True)
class Live:
    """A value that only the running test can make (an object of a connection, a uuid)."""

    what: str


LIVE = (
    "vm",
    "host",
    "folder",
    "datacenter",
    "plain vm",  # the same VM, from another connection
    "gone vm",  # an object of the right type whose id names nothing
    "unbound vm",  # an object of no connection (the VM's id)
    "unbound gone vm",  # an object of no connection, whose id names nothing
    "vm named like a host",  # a VirtualMachine object with a host's id
    "task",
    "data object",
    "bios uuid",
    "instance uuid",
    "bios uuid upper",
    "bios uuid no dashes",
)


def uuid_variants(u: str) -> st.SearchStrategy[str]:
    return st.sampled_from((u, u.upper(), u.replace("-", ""), f"{{{u}}}", f" {u} ", u[:-1]))


lookup_values = st.one_of(
    typed_names,
    paths(),
    existing_refs,
    wrong_types,
    st.sampled_from(LIVE).map(Live),
    st.uuids().map(str).flatmap(uuid_variants),
)

VIMTYPES = (
    vim.VirtualMachine,
    vim.HostSystem,
    vim.ComputeResource,
    vim.ClusterComputeResource,
    vim.Datacenter,
    vim.Datastore,
    vim.Network,
    vim.dvs.DistributedVirtualPortgroup,
    vim.DistributedVirtualSwitch,
    vim.Folder,
    vim.ResourcePool,
    vim.VirtualApp,
    vim.ManagedEntity,
    vim.ManagedObject,
    vim.Task,
    vim.vm.ConfigSpec,
    "vm",
    "VirtualMachine",
    "host",
    "folder",
    "template",
    "datastore",
    "",
    None,
    1,
    b"vm",
    str,
    object,
)

# Numbers as people pass them: right and wrong types, in and out of range.
numbers = st.one_of(
    st.integers(-3, 140),
    st.integers(),
    st.sampled_from((2**31 - 1, 2**31, 2**63, 10**20)),
    st.floats(),
    st.booleans(),
    st.none(),
    st.sampled_from(("2", "4096", b"2", [2], {"cpus": 2}, 2 + 0j)),
    st.builds(object),
)


# -- the server, read through plain pyVmomi ------------------------------------------------

VM_PATHS = (
    "config.hardware.numCPU",
    "config.hardware.numCoresPerSocket",
    "config.hardware.memoryMB",
    "config.hardware.device",
    "config.cpuHotAddEnabled",
    "config.memoryHotAddEnabled",
    "config.annotation",
    "snapshot",
    "customValue",
    "runtime.powerState",
)


def _retrieve(si: Any, vimtype: Any, paths: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """moid -> {path: value} for every object of a type, in one retrieval."""
    content = si.content
    view = content.viewManager.CreateContainerView(content.rootFolder, [vimtype], True)
    pc = vim.PropertyCollector
    spec = pc.FilterSpec(
        objectSet=[
            pc.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=[pc.TraversalSpec(path="view", type=vim.view.ContainerView)],
            )
        ],
        propSet=[pc.PropertySpec(type=vimtype, pathSet=list(paths))],
    )
    try:
        found: dict[str, dict[str, Any]] = {}
        result = content.propertyCollector.RetrievePropertiesEx([spec], pc.RetrieveOptions())
        while result is not None:
            for item in result.objects:
                found[item.obj._moId] = {p.name: p.val for p in item.propSet}
            if not result.token:
                break
            result = content.propertyCollector.ContinueRetrievePropertiesEx(result.token)
        return found
    finally:
        view.Destroy()


def _comparable(value: Any) -> Any:
    """A value read from the server as plain data, to compare before and after."""
    if isinstance(value, vim.vm.SnapshotInfo):
        return _comparable(value.rootSnapshotList)
    if isinstance(value, vim.vm.SnapshotTree):
        children = _comparable(value.childSnapshotList)
        return (value.snapshot._moId, value.name, value.description, children)
    if isinstance(value, vim.vm.device.VirtualDevice):
        backing = value.backing
        return (
            value.key,
            type(value).__name__,
            getattr(value, "capacityInKB", None),
            getattr(backing, "deviceName", None),
            getattr(backing, "fileName", None),
        )
    if isinstance(value, vim.CustomFieldsManager.Value):
        return (value.key, getattr(value, "value", None))
    if isinstance(value, vim.ManagedObject):
        return value._moId
    if isinstance(value, list):
        return tuple(_comparable(v) for v in value)
    return value


def server_state(si: Any) -> dict[str, Any]:
    """What a refused call must leave as it was: every inventory object's name and place, every
    VM's settings, snapshots, custom values and power state, the custom field definitions."""
    content = si.content
    entities = _retrieve(si, vim.ManagedEntity, ("name", "parent"))
    vms = _retrieve(si, vim.VirtualMachine, VM_PATHS)
    return {
        "root": content.rootFolder.name,
        "entities": sorted(
            (moid, p["name"], _comparable(p.get("parent"))) for moid, p in entities.items()
        ),
        "vms": {
            moid: {path: _comparable(p.get(path)) for path in VM_PATHS} for moid, p in vms.items()
        },
        "fields": sorted(
            (f.key, f.name, str(f.managedObjectType))
            for f in content.customFieldsManager.field or []
        ),
    }


# -- one simulator for the module -------------------------------------------------------------

_seq = itertools.count()


class Lab:
    """The objects the tests work on, made and put back with plain pyVmomi:

    folders      /DC0/vm/ui-folders, where create_folder makes its folders
    clones       /DC0/vm/ui-clones, where clone_vm puts its clones
    names_vm     /DC0/vm/ui-home/ui-names: renamed, snapshotted, annotated, given fields
    hardware_vm  /DC0/vm/ui-hardware: reconfigured (powered off)
    power_vm     /DC0/vm/ui-power: powered on (and off again)
    and two VMs named ui-twin, in folders of their own.
    """

    FOLDERS = "/DC0/vm/ui-folders"
    CLONES = "/DC0/vm/ui-clones"
    SOURCE = "DC0_H0_VM0"

    def __init__(self, si: Any) -> None:
        self.si = si
        self.made: list[Any] = []  # what teardown destroys, last first
        top = si.content.rootFolder.childEntity[0].vmFolder
        self.folders = self._folder(top, "ui-folders")
        self.clones = self._folder(top, "ui-clones")
        self.names_vm = self._clone(self._folder(top, "ui-home"), "ui-names")
        self.hardware_vm = self._clone(top, "ui-hardware")
        self.power_vm = self._clone(top, "ui-power")
        self._clone(self._folder(top, "ui-twins-a"), "ui-twin")
        self._clone(self._folder(top, "ui-twins-b"), "ui-twin")
        self.fields = {f.key for f in si.content.customFieldsManager.field or []}
        config = self.hardware_vm.config
        self.hardware = vim.vm.ConfigSpec(  # ui-hardware's settings as made
            numCPUs=config.hardware.numCPU,
            numCoresPerSocket=config.hardware.numCoresPerSocket,
            memoryMB=config.hardware.memoryMB,
            cpuHotAddEnabled=config.cpuHotAddEnabled,
            memoryHotAddEnabled=config.memoryHotAddEnabled,
        )

    def __repr__(self) -> str:
        return "Lab()"

    def _folder(self, parent: Any, name: str) -> Any:
        self.made.append(parent.CreateFolder(name))
        return self.made[-1]

    def _clone(self, folder: Any, name: str) -> Any:
        source = find_vm(self.si, self.SOURCE)
        spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False)
        self.made.append(wait_task(source.Clone(folder, name, spec)))
        return self.made[-1]

    def teardown(self) -> None:
        self.put_back()
        for obj in reversed(self.made):
            with contextlib.suppress(vmodl.fault.ManagedObjectNotFound):
                wait_task(obj.Destroy())

    def put_back(self) -> None:
        """The lab as it was made: names, snapshots, settings, power, fields, no new
        folders or clones."""
        for obj, name in (
            (self.names_vm, "ui-names"),
            (self.hardware_vm, "ui-hardware"),
            (self.power_vm, "ui-power"),
        ):
            if obj.name != name:
                wait_task(obj.Rename(name))
        for child in self.folders.childEntity:
            wait_task(child.Destroy())
        for child in self.clones.childEntity:
            wait_task(child.Destroy())
        if self.names_vm.snapshot is not None:
            wait_task(self.names_vm.RemoveAllSnapshots())
        manager = self.si.content.customFieldsManager
        for field in manager.field or []:
            if field.key not in self.fields:
                manager.RemoveCustomFieldDef(key=field.key)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(vms_per_pool=1, tools_delay=0.02, guest_delay=0.02) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def lab(sim: Simulator) -> Iterator[Lab]:
    with plain_pyvmomi(sim) as si:
        made = Lab(si)
        try:
            yield made
        finally:
            made.teardown()


@pytest.fixture(scope="module")
def vs(sim: Simulator, lab: Lab) -> Iterator[VSphere]:
    with sim.connect() as vsphere:
        yield vsphere


def live(value: Any, vs: VSphere, lab: Lab) -> Any:
    """The value a Live stands for; any other value as it is."""
    if not isinstance(value, Live):
        return value
    stub = vs.service_instance._stub

    def vm() -> Any:
        return find_vm(lab.si, Lab.SOURCE)

    return {
        "vm": lambda: vs.get_vm(Lab.SOURCE),
        "host": lambda: vs.get_host("DC0_C0_H0"),
        "folder": lambda: vs.get_folder("/DC0/vm"),
        "datacenter": lambda: vs.get_datacenter("DC0"),
        "plain vm": vm,
        "gone vm": lambda: vim.VirtualMachine("vm-999999", stub),
        "unbound vm": lambda: vim.VirtualMachine(vm()._moId),
        "unbound gone vm": lambda: vim.VirtualMachine("vm-999999"),
        "vm named like a host": lambda: vim.VirtualMachine(vm().runtime.host._moId, stub),
        "task": lambda: vim.Task("task-1", stub),
        "data object": lambda: vim.vm.ConfigSpec(name="DC0_H0_VM0"),
        "bios uuid": lambda: vm().config.uuid,
        "instance uuid": lambda: vm().config.instanceUuid,
        "bios uuid upper": lambda: vm().config.uuid.upper(),
        "bios uuid no dashes": lambda: vm().config.uuid.replace("-", ""),
    }[value.what]()


# -- calling the library ------------------------------------------------------------------------

REFUSED = (InvalidInputError, NotFoundError, AmbiguousNameError)


def outcome(call: Callable[[], Any]) -> Any:
    """What a call returns, or the VSphereError it raises; any other exception fails (a)."""
    try:
        return call()
    except VSphereError as e:
        return e
    except Exception as e:
        raise AssertionError(f"not a VSphereError: {type(e).__name__}: {e}") from e


def refused_without_change(si: Any, call: Callable[[], Any]) -> Any:
    """outcome(call), and (c): a refusal left the server as it was."""
    before = server_state(si)
    result = outcome(call)
    event(type(result).__name__ if isinstance(result, VSphereError) else "done")
    assert not isinstance(result, InvalidInputError) or isinstance(result, ValueError)
    if isinstance(result, REFUSED):
        after = server_state(si)
        assert after == before, f"refused ({type(result).__name__}: {result}), yet changed"
    return result


def examples(share: float = 1.0) -> settings:
    """A share of the profile's examples, for the properties that take longest."""
    return settings(max_examples=max(10, int(settings.default.max_examples * share)))


# -- (a): every lookup --------------------------------------------------------------------------


def _is(*types: Any) -> Callable[[Any], bool]:
    return lambda result: isinstance(result, types)


def _list_of(*types: Any) -> Callable[[Any], bool]:
    return lambda result: isinstance(result, list) and all(isinstance(r, types) for r in result)


# method -> (how it is called with a value and a vimtype, what it returns)
LOOKUPS: dict[str, tuple[Callable[[VSphere, Any, Any], Any], Callable[[Any], bool]]] = {
    "get_vm": (lambda vs, v, t: vs.get_vm(v), _is(vim.VirtualMachine)),
    "get_vm_by_uuid": (lambda vs, v, t: vs.get_vm_by_uuid(v), _is(vim.VirtualMachine)),
    "get_host": (lambda vs, v, t: vs.get_host(v), _is(vim.HostSystem)),
    "get_cluster": (lambda vs, v, t: vs.get_cluster(v), _is(vim.ClusterComputeResource)),
    "get_datacenter": (lambda vs, v, t: vs.get_datacenter(v), _is(vim.Datacenter)),
    "get_datastore": (lambda vs, v, t: vs.get_datastore(v), _is(vim.Datastore)),
    "get_network": (lambda vs, v, t: vs.get_network(v), _is(vim.Network)),
    "get_folder": (lambda vs, v, t: vs.get_folder(v), _is(vim.Folder)),
    "get_resource_pool": (lambda vs, v, t: vs.get_resource_pool(v), _is(vim.ResourcePool)),
    "get": (lambda vs, v, t: vs.get(t, v), _is(vim.ManagedEntity)),
    "get_vm refresh": (lambda vs, v, t: vs.get_vm(v, refresh=True), _is(vim.VirtualMachine)),
    "find": (lambda vs, v, t: vs.find(t, v), _list_of(vim.ManagedEntity)),
    "find vms": (lambda vs, v, t: vs.find(vim.VirtualMachine, v), _list_of(vim.VirtualMachine)),
    "find_items": (lambda vs, v, t: vs.find_items(t, v), _is(list)),
    "path_of": (lambda vs, v, t: vs.path_of(v), lambda r: isinstance(r, str) and r[:1] == "/"),
    "list_vms": (lambda vs, v, t: vs.list_vms(v), _list_of(VMInfo)),
    "vm_info": (lambda vs, v, t: vs.vm_info(v), _is(VMInfo)),
    "vm_infos": (lambda vs, v, t: vs.vm_infos(v), _list_of(VMInfo)),
    "vm_infos one": (lambda vs, v, t: vs.vm_infos([v]), _list_of(VMInfo)),
    "select_vms": (lambda vs, v, t: vs.select_vms(v), _list_of(str)),
    "select_vms list": (lambda vs, v, t: vs.select_vms([v, "DC0_H0_VM0"]), _list_of(str)),
    "list_snapshots": (lambda vs, v, t: vs.list_snapshots(v), _list_of(SnapshotInfo)),
    "get_custom_fields": (
        lambda vs, v, t: vs.get_custom_fields(v),
        lambda r: isinstance(r, dict) and all(isinstance(x, str) for x in (*r, *r.values())),
    ),
    "get_notes": (lambda vs, v, t: vs.get_notes(v), _is(str)),
    "power_state": (
        lambda vs, v, t: vs.power_state(v),
        lambda r: r in ("poweredOn", "poweredOff", "suspended"),
    ),
    "list_children": (lambda vs, v, t: vs.list_children(v), _is(list)),
    "folder_contents": (lambda vs, v, t: vs.folder_contents(v), _is(list)),
}


@given(
    method=st.sampled_from(sorted(LOOKUPS)),
    value=lookup_values,
    vimtype=st.sampled_from(VIMTYPES),
)
@examples(3)
def test_lookups_raise_only_documented_errors(vs, lab, method, value, vimtype):
    call, returns = LOOKUPS[method]
    result = outcome(lambda: call(vs, live(value, vs, lab), vimtype))
    if not isinstance(result, VSphereError):
        assert returns(result), f"{method} returned {result!r}"


# -- (b) and (c): names made through the library --------------------------------------------


@given(segments=st.lists(typed_names, min_size=1, max_size=3))
@examples()
def test_create_folder_finds_the_path_as_typed(vs, lab, segments):
    path = Lab.FOLDERS + "/" + "/".join(segments)
    # Each level as typed (a "/" typed in a name starts a level), and the name it stands for.
    levels = [s for s in path[len(Lab.FOLDERS) :].split("/") if s]
    names = [as_read(s) for s in levels]
    # The folders made are removed after each example, with plain pyVmomi, behind the
    # library's back: create_folder confirms what its index says with the server, so the
    # next example of the same path makes them again instead of finding them "already there".
    try:
        result = refused_without_change(lab.si, lambda: vs.create_folder(path))
        if all(acceptable(n) for n in names):
            assert not isinstance(result, VSphereError), f"{path!r} refused: {result!r}"
        if isinstance(result, VSphereError):
            return
        # (b): each level as typed, stored in vCenter's form.
        level = lab.folders
        for name in names:
            (level,) = [c for c in level.childEntity if c.name == stored(name)]
        assert isinstance(level, vim.Folder)
        assert result._moId == level._moId
        assert vs.get_folder(path)._moId == level._moId
        assert vs.path_of(result) == "/".join([Lab.FOLDERS, *(stored(n) for n in names)])
        assert vs.create_folder(path)._moId == level._moId  # no error if present
    finally:
        lab.put_back()


@given(name=typed_names)
@examples()
def test_rename_finds_the_vm_as_typed(vs, lab, name):
    vm = lab.names_vm
    try:
        result = refused_without_change(lab.si, lambda: vs.rename(vm._moId, name))
        if acceptable(name):
            assert not isinstance(result, VSphereError), f"{name!r} refused: {result!r}"
        if isinstance(result, VSphereError):
            return
        assert vm.name == stored(name)
        assert vs.get_vm(name)._moId == vm._moId
        assert vs.vm_info(name).name == name
        assert vs.vm_info(vm._moId).name == name
        assert vs.path_of(vm._moId) == "/DC0/vm/ui-home/" + stored(name)
        assert vs.get_vm("/DC0/vm/ui-home/" + stored(name))._moId == vm._moId
        assert name in [i.name for i in vs.list_vms()]
    finally:
        lab.put_back()


@given(name=typed_names)
@examples(0.5)
def test_clone_vm_finds_the_clone_as_typed(vs, lab, name):
    # Each clone in a folder of its own, made with plain pyVmomi; the clones stay until the
    # lab is put back (by the next test, or at the end): a clone removed by another client is
    # not always gone from the library's index at once, and a new VM of its name is then
    # ambiguous with it, even with refresh=True ("2 VMs match 'x': /DC0/vm/c/x, /DC0/vm/c/x").
    # A name made twice is ambiguous here in any case: the candidates must list the clone.
    where = f"c{next(_seq)}"
    folder = lab.clones.CreateFolder(where)
    path = f"{Lab.CLONES}/{where}"
    result = refused_without_change(lab.si, lambda: vs.clone_vm(Lab.SOURCE, name, folder=path))
    # The simulator keeps a VM's files in a directory named after it: a name longer than a
    # file name may be (255 bytes) fails there (FileFault), as on a real datastore.
    if acceptable(name) and len(stored(name).encode()) + len(".vmdk") <= 255:
        assert not isinstance(result, VSphereError), f"{name!r} refused: {result!r}"
    if isinstance(result, VSphereError):
        return
    (clone,) = folder.childEntity
    assert (clone._moId, clone.name) == (result._moId, stored(name))
    assert vs.vm_info(result).name == name
    assert vs.get_vm(f"{path}/{stored(name)}")._moId == clone._moId
    found = outcome(lambda: vs.get_vm(name))
    if isinstance(found, AmbiguousNameError):
        assert f"{path}/{stored(name)}" in found.candidates
    else:
        assert found._moId == clone._moId


@given(
    name=typed_names,
    description=st.one_of(st.just(""), printable_names, typed_names, wrong_types),
)
@examples()
def test_create_snapshot_finds_the_snapshot_as_typed(vs, lab, name, description):
    vm = lab.names_vm
    try:
        result = refused_without_change(
            lab.si, lambda: vs.create_snapshot(vm._moId, name, description=description)
        )
        if acceptable(name) and isinstance(description, str) and xml_safe(description):
            assert not isinstance(result, VSphereError), f"{name!r} refused: {result!r}"
        if isinstance(result, VSphereError):
            return
        (tree,) = vm.snapshot.rootSnapshotList
        assert tree.name == stored(name)
        assert result.name == name
        assert [s.name for s in vs.list_snapshots(vm._moId)] == [name]
        assert outcome(lambda: vs.revert_to_snapshot(vm._moId, name)) is None
        assert outcome(lambda: vs.remove_snapshot(vm._moId, name)) is None
        assert vm.snapshot is None
    finally:
        lab.put_back()


@given(
    field=st.one_of(printable_names, typed_names, wrong_types),
    value=st.one_of(st.just(""), printable_names, st.text(), typed_names, wrong_types),
)
@examples()
def test_custom_fields_read_back_as_typed(vs, lab, field, value):
    vm = lab.names_vm
    try:
        result = refused_without_change(lab.si, lambda: vs.set_custom_field(vm._moId, field, value))
        if acceptable(field) and isinstance(value, str) and xml_safe(value):
            assert not isinstance(result, VSphereError), f"{field!r} refused: {result!r}"
        if isinstance(result, VSphereError):
            return
        (definition,) = [
            f for f in lab.si.content.customFieldsManager.field if f.key not in lab.fields
        ]
        assert definition.name == field
        (stored_value,) = [v.value for v in vm.customValue if v.key == definition.key]
        assert stored_value == value
        assert vs.get_custom_fields(vm._moId)[field] == value
    finally:
        lab.put_back()


@given(text=st.one_of(typed_names, wrong_types, st.text(min_size=100, max_size=3000)))
@examples()
def test_notes_read_back_as_typed(vs, lab, text):
    vm = lab.names_vm
    result = refused_without_change(lab.si, lambda: vs.set_notes(vm._moId, text))
    if isinstance(text, str) and xml_safe(text):
        assert not isinstance(result, VSphereError), f"{text!r} refused: {result!r}"
    if isinstance(result, VSphereError) or text == "":
        # The simulator keeps the notes when sent empty ones (vcsim applies a non-empty
        # annotation only): "" is checked as accepted, not as read back.
        return
    assert vm.config.annotation == text
    assert vs.get_notes(vm._moId) == text


# -- (a) and (c): values of changes ----------------------------------------------------------

HARDWARE = ("cpus", "memory_mb", "cores_per_socket", "disk_gb", "cpu_hot_add", "memory_hot_add")


@given(
    changes=st.dictionaries(
        st.sampled_from((*HARDWARE, "network", "timeout")),
        st.one_of(st.integers(1, 16).map(lambda n: 4 * n), numbers, typed_names, existing_refs),
        min_size=1,
        max_size=3,
    )
)
@examples()
def test_reconfigure_vm_refuses_bad_values_without_change(vs, lab, changes):
    vm = lab.hardware_vm
    try:
        refused_without_change(lab.si, lambda: vs.reconfigure_vm(vm._moId, **changes))
    finally:
        wait_task(vm.Reconfigure(lab.hardware))


@given(timeout=numbers)
@examples(0.5)
def test_power_on_refuses_bad_timeouts_without_change(vs, lab, timeout):
    vm = lab.power_vm
    try:
        refused_without_change(lab.si, lambda: vs.power_on(vm._moId, timeout=timeout))
    finally:
        # A power-on that timed out may still be under way.
        wait_until(lambda: all(t.info.state in ("success", "error") for t in vm.recentTask))
        if vm.runtime.powerState != "poweredOff":
            wait_task(vm.PowerOff())


# Changes, each with valid arguments but its target.
CHANGES: dict[str, Callable[[VSphere, Any], Any]] = {
    "rename": lambda vs, t: vs.rename(t, f"ui-renamed-{next(_seq)}"),
    "set_notes": lambda vs, t: vs.set_notes(t, "ui notes"),
    "set_custom_field": lambda vs, t: vs.set_custom_field(t, "ui-field", "ui value"),
    "create_snapshot": lambda vs, t: vs.create_snapshot(t, "ui-snapshot"),
    "remove_snapshot": lambda vs, t: vs.remove_snapshot(t, "ui-snapshot"),
    "revert_to_snapshot": lambda vs, t: vs.revert_to_snapshot(t),
    "reconfigure_vm": lambda vs, t: vs.reconfigure_vm(t, cpus=1),
    "power_on": lambda vs, t: vs.power_on(t),
    "power_off": lambda vs, t: vs.power_off(t),
    "destroy_vm": lambda vs, t: vs.destroy_vm(t),
    "clone_vm": lambda vs, t: vs.clone_vm(t, f"ui-clone-{next(_seq)}", folder=Lab.CLONES),
    "delete_folder": lambda vs, t: vs.delete_folder(t),
}

# Objects that exist, but are no VM (nor folder): a missing target only for what needs one.
NO_VM = ("DC0_C0_H0", "LocalDS_0", "DC0_C0", Live("host"), Live("vm named like a host"))
ANY_ENTITY = ("rename", "set_custom_field")  # these take any inventory object

# Targets that name nothing, or nothing of the kind, or several things, or are no name.
missing_targets = st.one_of(
    typed_names.map(lambda s: "ui-nothing-" + s),
    typed_names.map(lambda s: "/DC0/vm/ui-nothing/" + s),
    wrong_types,
    st.sampled_from(("ui-twin", "", " ", "\x00", "\t", *NO_VM)),
    st.sampled_from(("gone vm", "unbound gone vm", "vm named like a host", "task")).map(Live),
)


@given(change=st.sampled_from(sorted(CHANGES)), target=missing_targets)
@examples(2)
def test_changes_to_a_missing_target_change_nothing(vs, lab, change, target):
    assume(not (change in ANY_ENTITY and any(target is t or target == t for t in NO_VM)))
    try:
        result = refused_without_change(lab.si, lambda: CHANGES[change](vs, live(target, vs, lab)))
        assert isinstance(result, REFUSED), f"{change}({target!r}) did {result!r}"
    finally:
        lab.put_back()


# vSphere's own folders: the root folder (govmomi's simulator dereferences a nil parent when
# asked to move it) and a datacenter's folders. Refused before anything is sent, also in a
# list with an object that could move.
@pytest.mark.parametrize(
    "what",
    ["/", "//", "/DC0/vm", "/DC0/host", "/DC0/datastore", "/DC0/network", ["DC0_H0_VM0", "/"]],
)
def test_moving_vsphere_folders_is_refused_without_change(vs, lab, what):
    root = vs.get_folder("/")
    for obj in (what, root) if what == "/" else (what,):
        before = server_state(lab.si)
        result = outcome(lambda obj=obj: vs.move(obj, Lab.FOLDERS))
        assert isinstance(result, InvalidInputError), result
        assert "keeps where it is" in str(result)
        assert server_state(lab.si) == before
