"""vmw ls, find, folder, field, notes, events."""

from __future__ import annotations

import click

from ._command import VmwCommand, VmwGroup
from ._core import Context, confirm, examples, obj, plural
from .completion import complete_find, complete_folder, complete_object, complete_path, complete_vm

KINDS = (
    "vm",
    "template",
    "host",
    "cluster",
    "datastore",
    "network",
    "folder",
    "pool",
    "datacenter",
)
ITEM_COLUMNS = (("NAME", "name"), ("TYPE", "type"), ("PATH", "path"))


def register(group: click.Group) -> None:
    group.add_command(ls)
    group.add_command(find)
    group.add_command(folder)
    group.add_command(field)
    group.add_command(notes)
    group.add_command(events)


@click.command(cls=VmwCommand, epilog=examples("vmw ls", "vmw ls /DC1/vm/web"))
@click.argument("path", default="/", shell_complete=complete_path)
@click.pass_context
def ls(ctx: click.Context, path: str) -> None:
    """List what an inventory path holds."""
    cx: Context = obj(ctx)
    cx.table(cx.vs.list_children(path), ITEM_COLUMNS)


@click.command(
    cls=VmwCommand, epilog=examples("vmw find --type vm 'web-*'", "vmw find --type datastore")
)
@click.option("--type", "kind", type=click.Choice(KINDS), help="only this kind")
@click.argument("pattern", default="*", shell_complete=complete_find)
@click.pass_context
def find(ctx: click.Context, kind: str | None, pattern: str) -> None:
    """Find objects by name (a glob), or by path when the pattern has a '/'."""
    cx: Context = obj(ctx)
    cx.listing(lambda vs, pattern: vs.find_items(kind or "entity", pattern), pattern, ITEM_COLUMNS)


@click.group(cls=VmwGroup)
def folder() -> None:
    """Folders."""


@folder.command("create", epilog=examples("vmw folder create /DC1/vm/web/prod"))
@click.argument("path", shell_complete=complete_folder)
@click.pass_context
def folder_create(ctx: click.Context, path: str) -> None:
    """Make a folder and any missing parents (no error if it exists)."""
    cx: Context = obj(ctx)
    made = cx.vs.create_folder(path)
    item = cx.vs.find_items("folder", cx.vs.path_of(made))[0]
    if cx.as_json:
        cx.emit(item)
    else:
        click.echo(item.path)


@folder.command(
    "rm",
    epilog=examples(
        "vmw folder rm /DC1/vm/old                  # an empty folder",
        "vmw folder rm /DC1/vm/old --recursive      # lists what goes with it, then asks",
    ),
)
@click.argument("path", shell_complete=complete_folder)
@click.option("--recursive", is_flag=True, help="with the VMs, templates and folders in it")
@click.option("--yes", is_flag=True, help="do not ask")
@click.option("--dry-run", is_flag=True, help="only show what would be removed")
@click.pass_context
def folder_rm(ctx: click.Context, path: str, recursive: bool, yes: bool, dry_run: bool) -> None:
    """Remove a folder: an empty one, or with --recursive everything in it (asks first)."""
    cx: Context = obj(ctx)
    if recursive or dry_run:
        contents = cx.vs.folder_contents(path)
        plan = [f"destroy {item.path} ({item.type})" for item in contents]
        plan.append(f"remove {cx.vs.path_of(cx.vs.get_folder(path))}")
        action = f"remove {path}" + (
            f" and {plural(len(contents), 'object')} in it" if contents else ""
        )
        if not confirm(cx, plan, action, yes or not contents, dry_run):
            return
    with cx.working(f"remove {path}"):
        cx.vs.delete_folder(path, recursive=recursive)
    cx.err.print(f"removed {path}", markup=False)


@click.group(cls=VmwGroup)
def field() -> None:
    """Custom fields (custom attributes)."""


@field.command("ls")
@click.argument("target", shell_complete=complete_object)
@click.pass_context
def field_ls(ctx: click.Context, target: str) -> None:
    """The custom fields of an object."""
    cx: Context = obj(ctx)
    values = cx.vs.get_custom_fields(target)
    if cx.as_json:
        cx.emit(values)
        return
    for name in sorted(values):
        click.echo(f"{name}\t{values[name]}")


@field.command("set", epilog=examples("vmw field set web-07 owner team-web"))
@click.argument("target", shell_complete=complete_object)
@click.argument("name")
@click.argument("value")
@click.pass_context
def field_set(ctx: click.Context, target: str, name: str, value: str) -> None:
    """Set a custom field of an object (defining the field if needed)."""
    cx: Context = obj(ctx)
    cx.vs.set_custom_field(target, name, value)
    cx.err.print(f"set {name} of {target}", markup=False)


@click.group(cls=VmwGroup)
def notes() -> None:
    """VM notes (annotations)."""


@notes.command("set")
@click.argument("vm", shell_complete=complete_vm)
@click.argument("text")
@click.pass_context
def notes_set(ctx: click.Context, vm: str, text: str) -> None:
    """Set a VM's notes."""
    cx: Context = obj(ctx)
    cx.vs.set_notes(vm, text)
    cx.err.print(f"set the notes of {vm}", markup=False)


@notes.command("get")
@click.argument("vm", shell_complete=complete_vm)
@click.pass_context
def notes_get(ctx: click.Context, vm: str) -> None:
    """Show a VM's notes."""
    cx: Context = obj(ctx)
    text = cx.vs.get_notes(vm)
    if cx.as_json:
        cx.emit({"notes": text})
    else:
        click.echo(text)


@click.command(
    cls=VmwCommand,
    epilog=examples("vmw events --limit 20", "vmw events web-07 --type VmPoweredOnEvent"),
)
@click.argument("target", required=False, shell_complete=complete_object)
@click.option("--limit", default=25, show_default=True, help="how many, newest first")
@click.option("--type", "types", multiple=True, help="only events of this type (repeatable)")
@click.pass_context
def events(ctx: click.Context, target: str | None, limit: int, types: tuple[str, ...]) -> None:
    """Recent events of an object (or of everything)."""
    cx: Context = obj(ctx)
    found = cx.vs.events(target, limit=limit, types=list(types) or None)
    cx.table(
        found,
        (
            ("TIME", "time"),
            ("TYPE", "type"),
            ("OBJECT", "object_name"),
            ("USER", "user"),
            ("MESSAGE", "message"),
        ),
    )
