"""What an OVF descriptor says, read without the server: its files, disks, networks and
properties (DMTF DSP0243, the OVF envelope), enough to check a deploy before anything is sent.

    descriptor = parse_descriptor(Path("appliance.ovf").read_text())
    descriptor.networks            # ["VM Network", "Backend"]
    descriptor.property_keys       # ["vami.ip0.appliance", "hostname"]
    needed_bytes(descriptor, thin=False)

The server reads the descriptor again (OvfManager.CreateImportSpec) and has the last word;
this reading only catches early what can be told from the text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import InvalidInputError

OVF_NS = "http://schemas.dmtf.org/ovf/envelope/1"
_OVF = f"{{{OVF_NS}}}"
# "byte * 2^30", "byte * 1024", "byte": the units of a disk's ovf:capacity (DSP0004, the
# programmatic units of CIM); without one, bytes.
# A manifest line (DSP0243 5.1): "SHA256(appliance-disk1.vmdk)= 4f1c...".
_MANIFEST_LINE = re.compile(r"^\s*(SHA1|SHA256|SHA512)\s*\((.+)\)\s*=\s*([0-9A-Fa-f]+)\s*$")
_UNITS = re.compile(r"^\s*byte\s*(?:\*\s*(\d+)\s*(?:\^\s*(\d+))?)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class OvfFile:
    id: str
    href: str
    size: int | None  # ovf:size, when the descriptor gives it


@dataclass(frozen=True)
class OvfDisk:
    id: str
    file_ref: str | None  # the OvfFile.id of its content; None: a new, empty disk
    capacity: int  # bytes
    populated_size: int | None  # bytes in use, when the descriptor gives it


@dataclass(frozen=True)
class OvfProperty:
    key: str  # as CreateImportSpec's propertyMapping names it: "class.key.instance"
    type: str
    default: str
    user_configurable: bool


@dataclass(frozen=True)
class OvfDescriptor:
    files: tuple[OvfFile, ...]
    disks: tuple[OvfDisk, ...]
    networks: tuple[str, ...]
    properties: tuple[OvfProperty, ...]

    @property
    def property_keys(self) -> list[str]:
        return [p.key for p in self.properties]

    def file(self, href: str) -> OvfFile | None:
        return next((f for f in self.files if f.href == href), None)


def parse_descriptor(text: str) -> OvfDescriptor:
    """The parts of an OVF descriptor a deploy checks; InvalidInputError if it is no OVF."""
    # A package is not trusted: no document type, so no entities to expand (the "billion
    # laughs"); an OVF descriptor never needs one.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise InvalidInputError("the OVF descriptor declares a document type: refused")
    try:
        root = ET.fromstring(text)  # noqa: S314 - no DTD (refused above)
    except ET.ParseError as e:
        raise InvalidInputError(f"the OVF descriptor is not XML: {e}") from None
    if root.tag != f"{_OVF}Envelope":
        raise InvalidInputError(f"the OVF descriptor's root is {root.tag!r}, not an OVF Envelope")
    files = tuple(
        OvfFile(
            id=_attr(f, "id"),
            href=_attr(f, "href"),
            size=_int_or_none(f.get(f"{_OVF}size")),
        )
        for f in root.iterfind(f"{_OVF}References/{_OVF}File")
    )
    disks = tuple(
        OvfDisk(
            id=_attr(d, "diskId"),
            file_ref=d.get(f"{_OVF}fileRef"),
            capacity=_capacity(d),
            populated_size=_int_or_none(d.get(f"{_OVF}populatedSize")),
        )
        for d in root.iterfind(f"{_OVF}DiskSection/{_OVF}Disk")
    )
    networks = tuple(_attr(n, "name") for n in root.iterfind(f"{_OVF}NetworkSection/{_OVF}Network"))
    properties = []
    for product in root.iter(f"{_OVF}ProductSection"):
        klass = product.get(f"{_OVF}class")
        instance = product.get(f"{_OVF}instance")
        for p in product.iterfind(f"{_OVF}Property"):
            key = _attr(p, "key")
            full = ".".join(x for x in (klass, key, instance) if x)
            properties.append(
                OvfProperty(
                    key=full,
                    type=p.get(f"{_OVF}type", "string"),
                    default=p.get(f"{_OVF}value", ""),
                    user_configurable=p.get(f"{_OVF}userConfigurable", "false").lower() == "true",
                )
            )
    return OvfDescriptor(files, disks, networks, tuple(properties))


def needed_bytes(descriptor: OvfDescriptor, *, thin: bool) -> int:
    """What the disks take on a datastore: thick, their whole capacity; thin, what is in
    them (ovf:populatedSize, else the size of the file that fills them)."""
    total = 0
    for disk in descriptor.disks:
        if not thin:
            total += disk.capacity
            continue
        if disk.populated_size is not None:
            total += disk.populated_size
            continue
        file = next((f for f in descriptor.files if f.id == disk.file_ref), None)
        total += file.size if file is not None and file.size is not None else 0
    return total


def check_networks(
    package_networks: Sequence[str], networks: Mapping[str, object], context: str
) -> None:
    """The OVF networks a mapping names are the package's (InvalidInputError naming them)."""
    unknown = sorted(set(networks) - set(package_networks))
    if unknown:
        raise InvalidInputError(
            f"{context}: no OVF network {', '.join(map(repr, unknown))} in the package; "
            f"its networks: {', '.join(map(repr, package_networks)) or 'none'}"
        )


def _attr(element: ET.Element, name: str) -> str:
    value = element.get(f"{_OVF}{name}")
    if value is None:
        tag = element.tag.rsplit("}", 1)[-1]
        raise InvalidInputError(f"the OVF descriptor has a {tag} without ovf:{name}")
    return value


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInputError(f"the OVF descriptor has {text!r} for a size") from None


def _capacity(disk: ET.Element) -> int:
    value = _int_or_none(_attr(disk, "capacity"))
    assert value is not None
    units = disk.get(f"{_OVF}capacityAllocationUnits")
    if units is None:
        return value
    found = _UNITS.match(units)
    if found is None:
        raise InvalidInputError(f"the OVF descriptor has disk units {units!r}")
    base, exponent = found.groups()
    factor = int(int(base or 1) ** int(exponent or 1))
    return value * factor


def parse_manifest(text: str, label: str) -> dict[str, tuple[str, str]]:
    """{file name: (hashlib algorithm, hex digest)} of an OVF manifest (.mf, DSP0243 5.1),
    whose lines read "SHA256(file)= digest" (SHA1 and SHA512 too)."""
    entries: dict[str, tuple[str, str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _MANIFEST_LINE.match(line)
        if match is None:
            raise InvalidInputError(
                f"{label}: line {number} of the manifest is not 'SHA256(file)= digest': {line!r}"
            )
        algorithm, name, digest = match.groups()
        entries[name] = (algorithm.lower(), digest.lower())
    return entries
