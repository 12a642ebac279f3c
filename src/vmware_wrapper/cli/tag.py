"""vmw tag: list, create, attach and detach tags."""

from __future__ import annotations

import click

from .. import BulkResult
from ..errors import VSphereError
from ._command import VmwGroup
from ._core import Context, examples, obj, report
from .completion import complete_object


def register(group: click.Group) -> None:
    group.add_command(tag)


@click.group(cls=VmwGroup)
def tag() -> None:
    """Tags (category/name)."""


@tag.command("ls", epilog=examples("vmw tag ls", "vmw tag ls web-07"))
@click.argument("target", required=False, shell_complete=complete_object)
@click.pass_context
def tag_ls(ctx: click.Context, target: str | None) -> None:
    """All tags, or those of an object."""
    cx: Context = obj(ctx)
    tags = cx.vs.tags.tags_of(target) if target else cx.vs.tags.tags()
    if cx.as_json:
        cx.emit(tags)
    else:
        for name in tags:
            click.echo(name)


@tag.command("create", epilog=examples("vmw tag create env/prod --cardinality SINGLE --types vm"))
@click.argument("name", metavar="CATEGORY/NAME")
@click.option(
    "--cardinality",
    type=click.Choice(["SINGLE", "MULTIPLE"]),
    default="MULTIPLE",
    show_default=True,
    help="for a new category",
)
@click.option("--types", multiple=True, help="what a new category's tags attach to (vm, host...)")
@click.pass_context
def tag_create(ctx: click.Context, name: str, cardinality: str, types: tuple[str, ...]) -> None:
    """Create a tag (and its category, if new)."""
    cx: Context = obj(ctx)
    category, sep, tag_name = name.partition("/")
    if not sep or not category or not tag_name:
        raise click.UsageError("name the tag as CATEGORY/NAME")
    if category not in cx.vs.tags.categories():
        cx.vs.tags.create_category(category, cardinality=cardinality, types=types)
        cx.err.print(f"created category {category}", markup=False)
    cx.vs.tags.create_tag(tag_name, category)
    cx.err.print(f"created tag {name}", markup=False)


def _attachment(ctx: click.Context, name: str, targets: tuple[str, ...], attach: bool) -> None:
    """Attach or detach a tag, object by object: a failure is reported for its object and
    the others go on, as with the bulk VM commands."""
    cx: Context = obj(ctx)
    change = cx.vs.tags.attach if attach else cx.vs.tags.detach
    results = []
    for target in targets:
        try:
            change(name, target)
            results.append(BulkResult(target, True))
        except VSphereError as e:
            results.append(BulkResult(target, False, str(e), type(e).__name__, exception=e))
    report(cx, results, "attach" if attach else "detach")


@tag.command("attach", epilog=examples("vmw tag attach env/prod web-07 web-08"))
@click.argument("name", metavar="CATEGORY/NAME")
@click.argument("targets", nargs=-1, required=True, shell_complete=complete_object)
@click.pass_context
def tag_attach(ctx: click.Context, name: str, targets: tuple[str, ...]) -> None:
    """Attach a tag to objects."""
    _attachment(ctx, name, targets, attach=True)


@tag.command("detach")
@click.argument("name", metavar="CATEGORY/NAME")
@click.argument("targets", nargs=-1, required=True, shell_complete=complete_object)
@click.pass_context
def tag_detach(ctx: click.Context, name: str, targets: tuple[str, ...]) -> None:
    """Detach a tag from objects."""
    _attachment(ctx, name, targets, attach=False)
