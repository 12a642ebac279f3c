"""What every facade module shares: the connection's parts and the ``@operation`` link.

    class Power(Facade):
        @operation(_power.power_off)
        def power_off(self, vm: VMRef, *, wait: bool = True, timeout: float | None = None):
            (the docstring: what users read)

The decorated method's body is its docstring alone: calling it binds the arguments to its
signature, fills in its defaults, and runs ``implementation(ops, **arguments)``. The defaults
and the docs exist once, here; the operation takes keyword arguments without defaults;
``tests/test_facade.py`` checks that both name the same parameters.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from .._inventory.index import InventoryIndex
from .._inventory.resolver import Resolver
from .._operations.checks import check_timeout
from .._operations.context import Ops
from .._tasks.engine import TaskEngine
from .._transport.session import Session

F = TypeVar("F", bound=Callable[..., Any])


class Facade:
    """The parts of a connection that facade methods use (made by ``VSphere.__init__``)."""

    logger: logging.Logger
    _session: Session
    _index: InventoryIndex
    _tasks: TaskEngine
    _resolver: Resolver
    _ops: Ops


def operation(implementation: Callable[..., Any]) -> Callable[[F], F]:
    """Make the decorated facade method run ``implementation`` (see the module's docstring).
    The method keeps its name, signature and docstring; ``method.operation`` is the
    implementation (bulk runs read what it declares, see ``context.vm_operation``)."""

    def decorate(method: F) -> F:
        signature = inspect.signature(method)
        parameters = list(signature.parameters.values())[1:]  # after self
        positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
        defaults = {p.name: p.default for p in parameters if p.default is not p.empty}
        names = {p.name for p in parameters}
        required = names - defaults.keys()
        checks_timeout = "timeout" in defaults

        @functools.wraps(method)
        def run(self: Facade, /, *args: Any, **kwargs: Any) -> Any:
            # What signature.bind() does, in a microsecond or two instead of tens; a call
            # that does not fit is bound the slow way, for Python's own TypeError.
            arguments = {**defaults, **dict(zip(positional, args, strict=False)), **kwargs}
            if (
                len(args) > len(positional)
                or not kwargs.keys() <= names
                or any(name in kwargs for name in positional[: len(args)])
                or not required <= arguments.keys()
            ):
                try:
                    signature.bind(self, *args, **kwargs)
                except TypeError as e:  # worded as Python words a call that does not fit
                    raise TypeError(f"{method.__name__}() {e}") from None
            if checks_timeout:
                # Refused before anything else, even when there turns out to be nothing to do.
                check_timeout(arguments["timeout"])
            return implementation(self._ops, **arguments)

        run.operation = implementation  # type: ignore[attr-defined]
        return cast(F, run)

    return decorate


def implementation_of(method: Any) -> Callable[..., Any] | None:
    """The operation function behind a facade method, if it is one."""
    return getattr(method, "operation", None)
