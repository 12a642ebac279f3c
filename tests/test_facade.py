"""The facade's conventions: one source of truth for each operation's signature and docs.

A facade method decorated with ``@operation`` holds the defaults and the docstring; its
operation function takes the same parameters, keyword-only and without defaults. Every
public method says how it is used, and what it returns is typed and exported.
"""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest

import vmware_wrapper
from vmware_wrapper import ContentLibraries, Guest, Handle, Tags, VSphere
from vmware_wrapper._facade.base import implementation_of

FACADE = Path(vmware_wrapper.__file__).parent / "_facade"

# Public methods whose return type is Any on purpose (at most five), and why.
RETURNS_ANY = {
    "get": "the object's type follows vimtype, which may be a string (a kind)",
    "find": "the objects' type follows vimtype, which may be a string (a kind)",
    "wait_for_tasks": "a task's result is whatever its vSphere method returns",
    "settings_from_env": "keyword arguments of VSphere, of several types (str, int, bool)",
}


def _public_methods(cls: type) -> dict[str, typing.Any]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_")
        and (inspect.isfunction(member) or inspect.ismethod(member) or isinstance(member, property))
    }


OPERATIONS = {
    name: method
    for name, method in _public_methods(VSphere).items()
    if implementation_of(method) is not None
}
# The small objects on VSphere whose methods are operations too (vs.library.deploy).
OPERATIONS.update(
    {
        f"library.{name}": method
        for name, method in _public_methods(ContentLibraries).items()
        if implementation_of(method) is not None
    }
)


def test_most_methods_are_operations() -> None:
    assert len(OPERATIONS) >= 30


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_facade_method_passes_exactly_its_operations_parameters(name: str) -> None:
    method = OPERATIONS[name]
    implementation = implementation_of(method)
    assert implementation is not None
    facade = list(inspect.signature(method).parameters.values())[1:]  # without self
    operation = list(inspect.signature(implementation).parameters.values())
    assert operation[0].name == "ops"
    assert [p.name for p in facade] == [p.name for p in operation[1:]]
    for p in operation[1:]:
        assert p.kind is p.KEYWORD_ONLY, f"{implementation.__qualname__}: {p.name} by keyword"
        assert p.default is p.empty, f"{implementation.__qualname__}: {p.name}'s default"


def test_an_empty_facade_method_runs_an_operation() -> None:
    """A method whose body is only its docstring does nothing unless @operation runs it."""
    problems = []
    for path in sorted(FACADE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            decorators = [ast.unparse(d) for d in node.decorator_list]
            only_docstring = len(node.body) == 1 and isinstance(node.body[0], ast.Expr)
            if only_docstring and not any(
                d == "overload" or d.startswith("operation(") for d in decorators
            ):
                problems.append(f"{path.name}: {node.name}")
    assert problems == []


def _has_usage_example(raw: str) -> bool:
    """Whether the paragraph after the summary is indented past the text: a code example,
    as httpx's docstrings open."""
    lines = raw.split("\n")
    if len(lines) < 3 or lines[1].strip():
        return False
    text_indent = len(lines[-1]) if not lines[-1].strip() else 0  # the closing quotes' line
    example = lines[2]
    return len(example) - len(example.lstrip()) > text_indent and bool(example.strip())


@pytest.mark.parametrize("cls", [VSphere, ContentLibraries, Guest, Tags, Handle])
def test_every_public_method_says_how_it_is_used(cls: type) -> None:
    missing = []
    for name, member in _public_methods(cls).items():
        function = member.fget if isinstance(member, property) else member
        raw = function.__doc__ or ""
        if cls in (VSphere, ContentLibraries) and not _has_usage_example(raw):
            missing.append(f"{name}: no usage example after the first line")
        elif not raw.strip():
            missing.append(f"{name}: no docstring")
    assert missing == []


def _return_hint(member: typing.Any) -> typing.Any:
    function = member.fget if isinstance(member, property) else member
    return typing.get_type_hints(function).get("return")


def test_public_methods_return_known_types() -> None:
    returning_any = sorted(
        name
        for name, member in _public_methods(VSphere).items()
        if typing.Any in (_return_hint(member), *typing.get_args(_return_hint(member)))
    )
    assert returning_any == sorted(RETURNS_ANY)


def _classes_in(hint: typing.Any) -> set[type]:
    found = {hint} if isinstance(hint, type) else set()
    origin = typing.get_origin(hint)
    if isinstance(origin, type):
        found.add(origin)
    for arg in typing.get_args(hint):
        found |= _classes_in(arg)
    return found


def test_every_returned_type_of_this_library_is_exported() -> None:
    exported = {getattr(vmware_wrapper, n) for n in vmware_wrapper.__all__}
    unexported = set()
    for cls in (VSphere, ContentLibraries, Guest, Tags):
        for name, member in _public_methods(cls).items():
            for returned in _classes_in(_return_hint(member)):
                library = returned.__module__.startswith("vmware_wrapper")
                if library and not any(returned is e for e in exported):
                    unexported.add(f"{cls.__name__}.{name} -> {returned.__qualname__}")
    assert unexported == set()


def test_wait_false_returns_a_handle_and_wait_true_the_result() -> None:
    """The overloads say so for every operation that takes wait=."""
    for name, method in OPERATIONS.items():
        if "wait" not in inspect.signature(method).parameters:
            continue
        overloads = typing.get_overloads(method.__wrapped__)
        assert len(overloads) == 2, name
        returns = {
            typing.get_type_hints(o)["wait"]: typing.get_type_hints(o)["return"] for o in overloads
        }
        handle = returns[typing.Literal[False]]
        assert typing.get_origin(handle) is Handle, name
        assert typing.get_args(handle)[0] == returns[typing.Literal[True]] or (
            returns[typing.Literal[True]] is type(None) and typing.get_args(handle)[0] is type(None)
        ), name


def test_an_operation_gets_the_arguments_python_would_bind() -> None:
    """@operation binds as Python does: defaults filled in, wrong calls a TypeError."""
    from vmware_wrapper._facade.base import Facade, operation

    def implementation(ops: object, **arguments: object) -> dict[str, object]:
        return arguments

    class Fake(Facade):
        _ops = None

        @operation(implementation)
        def act(self, vm: str, size: int = 1, *, wait: bool = True) -> None:
            """Act."""

    fake = Fake()
    assert fake.act("web") == {"vm": "web", "size": 1, "wait": True}
    assert fake.act("web", 2, wait=False) == {"vm": "web", "size": 2, "wait": False}
    assert fake.act(vm="web", size=3) == {"vm": "web", "size": 3, "wait": True}
    for wrong in (
        lambda: fake.act(),
        lambda: fake.act("web", 2, 3),
        lambda: fake.act("web", colour="red"),
        lambda: fake.act("web", vm="db"),
    ):
        with pytest.raises(TypeError, match=r"^act\(\) "):
            wrong()
