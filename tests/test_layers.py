"""The package's layers depend in one direction only, and operations never on each other.

    base (errors, _base) -> _transport -> _tasks -> _inventory -> _operations -> _facade -> cli

A module may import from its own layer or the layers before it. Operation modules share
only ``context`` (what every operation receives), ``checks`` (shared input checks),
``guest_customization`` (a customization's outcome, awaited by clones and library deploys) and
``library_items`` (content libraries and items found by name). The
CLI speaks the public API only (never pyVmomi); ``testing`` sits beside the library, which
never imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import vmware_wrapper

PACKAGE = Path(vmware_wrapper.__file__).parent
LAYERS = {
    "errors": 0,
    "_base": 0,
    "_transport": 1,
    "_tasks": 2,
    "_inventory": 3,
    "_operations": 4,
    "_facade": 5,
    "_vsphere": 5,
    "_fleet": 5,
    "_fleet_bulk": 5,
    "__init__": 5,
    "cli": 6,
}
SHARED_BY_OPERATIONS = {"context", "checks", "guest_customization", "library_items"}
PUBLIC = {"vmware_wrapper", "vmware_wrapper.errors", "vmware_wrapper.testing"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(["vmware_wrapper", *parts])] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """The modules of this package that a module imports (resolved, dotted)."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            # `from . import x` imports the module x when there is one
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return {n for n in names if n.split(".")[0] in ("vmware_wrapper", "pyVmomi")}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) == 1:
        return LAYERS["__init__"]
    return LAYERS.get(parts[1])


def _violations(modules: dict[str, Path]) -> list[str]:
    problems = []
    for module, path in modules.items():
        imported = {m for m in _imports(module, path) if m in modules or m.startswith("pyVmomi")}
        parts = module.split(".")
        top = parts[1] if len(parts) > 1 else "__init__"
        for target in sorted(imported):
            if target.startswith("pyVmomi"):
                if top == "cli":
                    problems.append(f"{module} imports pyVmomi ({target})")
                continue
            target_top = target.split(".")[1] if "." in target else "__init__"
            if top == "testing":
                # Beside the library: its public surface, and the transport's version
                # negotiation for the plain pyVmomi sessions that check results.
                allowed = target in PUBLIC or target_top in ("testing", "_base", "_transport")
                if not allowed:
                    problems.append(f"{module} (beside the library) imports {target}")
                continue
            if target_top == "testing" and top != "cli":
                problems.append(f"{module} imports the test helpers ({target})")
                continue
            if top == "cli" and target_top != "cli":
                if target not in PUBLIC:
                    problems.append(f"{module} (the CLI) imports the private {target}")
                continue
            mine, theirs = _layer(module), _layer(target)
            if mine is None or theirs is None:
                problems.append(f"{module} or {target} belongs to no layer: add it to LAYERS")
            elif theirs > mine:
                problems.append(f"{module} (layer {mine}) imports {target} (layer {theirs})")
            if top == target_top == "_operations" and len(parts) > 2 and target.count(".") > 1:
                a, b = parts[2], target.split(".")[2]
                if a != b and b not in SHARED_BY_OPERATIONS:
                    problems.append(f"operation {a} imports operation {b}")
                if a in SHARED_BY_OPERATIONS and b not in SHARED_BY_OPERATIONS:
                    problems.append(f"shared {a} imports operation {b}")
    return problems


def test_imports_follow_the_layers() -> None:
    assert _violations(_modules()) == []


def test_every_module_is_in_a_layer() -> None:
    unplaced = [m for m in _modules() if _layer(m) is None and ".testing" not in m]
    assert unplaced == []


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    """The check itself can fail: imports against the direction, and between operations."""
    transport = tmp_path / "fake.py"
    transport.write_text("from .._operations.power import power_on\n")
    operation = tmp_path / "other.py"
    operation.write_text("from .power import power_on\nfrom .context import Ops\n")
    modules = {
        **_modules(),
        "vmware_wrapper._transport.fake": transport,
        "vmware_wrapper._operations.other": operation,
    }
    assert sorted(_violations(modules)) == [
        "operation other imports operation power",
        "vmware_wrapper._transport.fake (layer 1) imports vmware_wrapper._operations.power"
        " (layer 4)",
    ]
