"""The in-memory inventory: names, escaping, paths, globs, ids, uuids (pure logic)."""

from __future__ import annotations

import pytest

from vmware_wrapper._inventory.tree import KINDS, Entry, Inventory, kind_for
from vmware_wrapper._transport.retrieve import Ref
from vmware_wrapper.errors import AmbiguousNameError, InvalidInputError, NotFoundError

VM = KINDS["vm"]
FOLDER = KINDS["folder"]


def folder(moid, name, parent):
    return Entry.of(moid, "Folder", name, parent)


def vm(moid, name, parent, uuid=None, instance_uuid=None, template=False, vapp=None):
    return Entry.of(
        moid,
        "VirtualMachine",
        name,
        parent,
        parent_vapp=vapp,
        uuid=uuid,
        instance_uuid=instance_uuid,
        template=template,
    )


@pytest.fixture
def inventory():
    inv = Inventory()
    inv.replace(
        [
            folder("root", "Datacenters", None),
            Entry.of("dc1", "Datacenter", "DC0", "root"),
            folder("vmf", "vm", "dc1"),
            folder("hostf", "host", "dc1"),
            folder("web", "web", "vmf"),
            folder("db", "db", "vmf"),
            vm(
                "vm-1",
                "app01",
                "web",
                uuid="11111111-1111-1111-1111-111111111111",
                instance_uuid="22222222-2222-2222-2222-222222222222",
            ),
            vm("vm-2", "app01", "db"),
            vm("vm-3", "web%2f01", "web"),
            vm("vm-4", "100%25 done", "vmf"),
            vm("vm-5", "gold", "vmf", template=True),
            Entry.of("vapp-1", "VirtualApp", "shop", "rp", parent_folder="vmf"),
            vm("vm-6", "shop-db", None, vapp="vapp-1"),
            Entry.of("host-1", "HostSystem", "esx01", "cr"),
            Entry.of("cr", "ComputeResource", "esx01", "hostf"),
        ],
        root="root",
        details=True,
    )
    return inv


def test_a_unique_name_finds_one(inventory):
    assert inventory.lookup(VM, "gold").moid == "vm-5"


def test_a_duplicate_name_is_ambiguous_and_lists_the_paths(inventory):
    with pytest.raises(AmbiguousNameError) as raised:
        inventory.lookup(VM, "app01")
    assert raised.value.candidates == ["/DC0/vm/db/app01", "/DC0/vm/web/app01"]
    assert "/DC0/vm/db/app01" in str(raised.value)


@pytest.mark.parametrize("path", ["/DC0/vm/web/app01", "DC0/vm/web/app01", "/DC0/vm/web/app01/"])
def test_a_path_disambiguates(inventory, path):
    assert inventory.lookup(VM, path).moid == "vm-1"


def test_names_with_slashes_and_percents_work_as_typed(inventory):
    assert inventory.lookup(VM, "web/01").moid == "vm-3"
    assert inventory.lookup(VM, "web%2f01").moid == "vm-3"  # as stored, too
    assert inventory.lookup(VM, "/DC0/vm/web/web%2f01").moid == "vm-3"
    assert inventory.lookup(VM, "100% done").moid == "vm-4"
    assert inventory.path("vm-3") == "/DC0/vm/web/web%2f01"


def test_moids_and_objects_kinds(inventory):
    assert inventory.lookup(VM, "vm-2").moid == "vm-2"
    with pytest.raises(NotFoundError):
        inventory.lookup(VM, "host-1")  # an id of another kind
    assert inventory.lookup(KINDS["host"], "esx01").moid == "host-1"  # not the compute resource


def test_uuids_find_vms(inventory):
    assert inventory.lookup(VM, "11111111-1111-1111-1111-111111111111").moid == "vm-1"
    assert inventory.lookup(VM, "22222222222222222222222222222222").moid == "vm-1"
    assert [e.moid for e in inventory.with_uuid("11111111-1111-1111-1111-111111111111")] == ["vm-1"]


def test_a_miss_suggests_close_names(inventory):
    with pytest.raises(NotFoundError, match=r"no VM named 'app1'; did you mean 'app01'"):
        inventory.lookup(VM, "app1")


def test_empty_names_are_invalid(inventory):
    with pytest.raises(InvalidInputError):
        inventory.lookup(VM, "  ")


def test_a_path_of_no_names_is_not_found_clearly(inventory):
    for text in ("/", "//", " / "):
        with pytest.raises(NotFoundError, match="a path of no names is the root folder"):
            inventory.lookup(VM, text)
    assert inventory.lookup(FOLDER, "/").moid == "root"


def test_a_segment_is_unescaped_once(inventory):
    inventory.update("f-slash", "Folder", {"name": "%2f", "parent": Ref("Folder", "vmf")})
    inventory.update("f-text", "Folder", {"name": "%252f", "parent": Ref("Folder", "vmf")})
    assert inventory.lookup(FOLDER, "/DC0/vm/%2f").moid == "f-slash"  # the name "/"
    assert inventory.lookup(FOLDER, "/DC0/vm/%252f").moid == "f-text"  # the name "%2f"
    assert [e.moid for e in inventory.find(FOLDER, "/DC0/vm/%252f")] == ["f-text"]


def test_names_are_matched_as_typed_spaces_first(inventory):
    inventory.update("vm-8", "VirtualMachine", {"name": "app01 ", "parent": Ref("Folder", "db")})
    assert inventory.lookup(VM, "app01 ").moid == "vm-8"
    assert inventory.lookup(VM, "/DC0/vm/db/app01 ").moid == "vm-8"
    assert inventory.lookup(VM, "/DC0/vm/db/app01").moid == "vm-2"
    # Spaces around what was typed are ignored only when it names nothing as typed.
    assert inventory.lookup(VM, " gold\n").moid == "vm-5"
    assert inventory.lookup(VM, " /DC0/vm/web/app01 ").moid == "vm-1"


@pytest.mark.parametrize("text", ["app01\ud800", "\x00", "a\uffff"])
def test_names_xml_cannot_carry_are_invalid(inventory, text):
    with pytest.raises(InvalidInputError, match="U\\+"):
        inventory.lookup(VM, text)


def test_vms_in_a_vapp_have_paths_through_it(inventory):
    assert inventory.path("vm-6") == "/DC0/vm/shop/shop-db"
    assert inventory.lookup(VM, "/DC0/vm/shop/shop-db").moid == "vm-6"


def test_globs_over_names_and_paths(inventory):
    assert [e.moid for e in inventory.find(VM, "app*")] == ["vm-1", "vm-2"]
    assert [e.moid for e in inventory.find(VM, "/DC0/vm/web/*")] == ["vm-1", "vm-3"]
    assert [e.moid for e in inventory.find(VM, "web%2f*")] == ["vm-3"]  # "/" escaped in a name
    assert [e.moid for e in inventory.find(KINDS["template"], "*")] == ["vm-5"]
    assert inventory.find(VM, "nothing*") == []
    assert [e.moid for e in inventory.find(VM, "app01")] == ["vm-1", "vm-2"]  # no glob: exact


def test_renames_moves_and_removals_keep_the_indexes_right(inventory):
    inventory.update("vm-2", "VirtualMachine", {"name": "app02"})
    assert inventory.lookup(VM, "app01").moid == "vm-1"
    assert inventory.lookup(VM, "app02").moid == "vm-2"
    inventory.update("vm-2", "VirtualMachine", {"parent": Ref("Folder", "web")})
    assert inventory.path("vm-2") == "/DC0/vm/web/app02"
    assert [e.moid for e in inventory.children("db")] == []
    inventory.remove("vm-2")
    with pytest.raises(NotFoundError):
        inventory.lookup(VM, "app02")
    inventory.update("vm-9", "VirtualMachine", {"name": "new", "parent": Ref("Folder", "db")})
    assert inventory.path("vm-9") == "/DC0/vm/db/new"


def test_a_name_equal_to_another_objects_id_is_ambiguous(inventory):
    inventory.update("vm-7", "VirtualMachine", {"name": "vm-1", "parent": Ref("Folder", "db")})
    with pytest.raises(AmbiguousNameError):
        inventory.lookup(VM, "vm-1")


def test_kinds_from_names_and_pyvmomi_types():
    from pyVmomi import vim

    assert kind_for("vm") is KINDS["vm"]
    assert kind_for("pool") is KINDS["resource_pool"]
    assert kind_for(vim.VirtualMachine) is KINDS["vm"]
    assert kind_for("VirtualMachine") is KINDS["vm"]
    assert kind_for("vim.HostSystem") is KINDS["host"]
    assert kind_for(vim.Network) is KINDS["network"]
    assert "ClusterComputeResource" in kind_for(vim.ComputeResource).types
    with pytest.raises(InvalidInputError, match="unknown object kind"):
        kind_for("vmm")
    with pytest.raises(InvalidInputError):
        kind_for(int)


class Untouchable(dict):
    """A mapping that fails a lookup the moment it is scanned."""

    def values(self):
        raise AssertionError("scanned every entry")

    def items(self):
        raise AssertionError("scanned every entry")

    def __iter__(self):
        raise AssertionError("scanned every entry")


class UntouchableSet(set):
    def __iter__(self):
        raise AssertionError("scanned a whole folder")


@pytest.fixture
def big():
    """A folder of 5,000 VMs, whose scans the lookups below must not need."""
    inv = Inventory()
    entries = [
        folder("root", "Datacenters", None),
        Entry.of("dc1", "Datacenter", "DC0", "root"),
        folder("vmf", "vm", "dc1"),
        folder("webf", "web", "vmf"),
    ]
    entries += [vm(f"vm-{i}", f"db-{i:04}", "vmf") for i in range(5000)]
    entries += [vm(f"vm-w{i}", f"web-{i:02}", "webf") for i in range(20)]
    inv.replace(entries, "root", details=True)
    inv._children["vmf"] = UntouchableSet(inv._children["vmf"])
    return inv


def test_a_path_resolves_without_scanning_its_folder(big):
    big._entries = Untouchable(big._entries)
    assert big.lookup(VM, "/DC0/vm/db-4999").moid == "vm-4999"
    assert big.lookup(VM, "DC0/vm/web/web-07").moid == "vm-w7"


def test_a_name_glob_reads_only_the_names_with_its_prefix(big):
    big._entries = Untouchable(big._entries)
    found = big.find(VM, "db-499*")
    assert [e.display_name for e in found] == [f"db-{i}" for i in range(4990, 5000)]


def test_a_path_glob_reads_only_the_folder_it_names(big):
    # The web folder's 20 children are read, not the 5,000 beside it.
    big._entries = Untouchable(big._entries)
    assert len(big.find(VM, "/DC0/vm/web/web-1*")) == 10


def test_names_that_come_and_go_keep_globs_right(big):
    big._children["vmf"] = set(big._children["vmf"])
    big.update("vm-new", "VirtualMachine", {"name": "db-49990", "parent": Ref("Folder", "vmf")})
    assert "db-49990" in [e.display_name for e in big.find(VM, "db-4999*")]
    big.remove("vm-4999")
    assert "db-4999" not in [e.display_name for e in big.find(VM, "db-4999*")]
