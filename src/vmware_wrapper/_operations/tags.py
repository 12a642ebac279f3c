"""Tags and categories, through vCenter's vAPI REST endpoint (/rest/com/vmware/cis, 6.5 API).

    vs.tags.create_category("env", cardinality="SINGLE", types=("vm",))
    vs.tags.create_tag("prod", "env")
    vs.tags.attach("env/prod", "web-07")
    vs.tags.tags_of("web-07")            # ["env/prod"]
    vs.tags.objects_with("env/prod")     # [vim.VirtualMachine:vm-123]

The REST session is made from the connection's own credentials and TLS settings, and made
again when it expires. A tag is named "category/name", or "name" when only one category has
a tag of that name. A failure names what was asked for: "create tag 'env/prod': tag
'env/prod' already exists".
"""

from __future__ import annotations

from typing import Any

from pyVmomi import vim

from .._base.types import EntityRef
from .._inventory.tree import KINDS, kind_for
from .._transport.rest import RestClient
from ..errors import (
    AmbiguousNameError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
)
from .checks import check_text
from .context import Ops

_CARDINALITIES = ("SINGLE", "MULTIPLE")


class Tags:
    """Categories, tags, and their attachment to inventory objects."""

    def __init__(self, ops: Ops) -> None:
        self._ops = ops
        self._rest = RestClient(ops.session)

    # -- reading the catalog ---------------------------------------------------------------

    def _categories(self) -> dict[str, dict[str, Any]]:
        ids = self._rest.call("GET", "/tagging/category", context="list tag categories") or []
        return self._read_each("category", ids)

    def _tags(self) -> dict[str, dict[str, Any]]:
        ids = self._rest.call("GET", "/tagging/tag", context="list tags") or []
        return self._read_each("tag", ids)

    def _tags_in(self, category_id: str, category: str) -> dict[str, dict[str, Any]]:
        """The tags of one category (without reading every other category's)."""
        label = _category_label(category)
        ids = self._rest.call(
            "POST", f"/tagging/tag/id:{category_id}?~action=list-tags-for-category",
            context=f"list the tags of {label}", subject=label,
        ) or []  # fmt: skip
        return self._read_each("tag", ids)

    def _read_each(self, what: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Each listed category or tag (``what``), read by its id. One deleted since the
        listing is left out, as a listing leaves out what is no longer there."""
        noun = "tag category" if what == "category" else "tag"
        found = {}
        for i in ids:
            try:
                found[i] = self._rest.call(
                    "GET", f"/tagging/{what}/id:{i}",
                    context=f"read {noun} {i}", subject=f"{noun} {i}",
                )  # fmt: skip
            except NotFoundError:
                continue
        return found

    def categories(self) -> list[str]:
        """Category names."""
        return sorted(c["name"] for c in self._categories().values())

    def tags(self, category: str | None = None) -> list[str]:
        """Tags as "category/name", all or those of one category."""
        names = {i: c["name"] for i, c in self._categories().items()}
        out = [f"{names.get(t['category_id'], '?')}/{t['name']}" for t in self._tags().values()]
        if category is not None:
            out = [t for t in out if t.split("/", 1)[0] == category]
        return sorted(out)

    def _category_id(self, category: str) -> tuple[str, dict[str, Any]]:
        found = [(i, c) for i, c in self._categories().items() if c["name"] == category]
        if not found:
            raise NotFoundError(f"no tag category {category!r}")
        return found[0]

    def _tag_id(self, tag: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """(tag id, tag, category) for "category/name" or a name unique across categories."""
        if not isinstance(tag, str) or not tag.strip():
            raise InvalidInputError(f"tag {tag!r}: 'category/name' or 'name'")
        check_text(tag, "tag")
        categories = self._categories()
        category_name, _, name = tag.rpartition("/")
        found = [
            (i, t, categories.get(t["category_id"], {}))
            for i, t in self._tags().items()
            if t["name"] == name
            and (
                not category_name
                or categories.get(t["category_id"], {}).get("name") == category_name
            )
        ]
        if not found:
            raise NotFoundError(f"no tag {tag!r}")
        if len(found) > 1:
            names = sorted(f"{c.get('name')}/{t['name']}" for _, t, c in found)
            raise AmbiguousNameError(
                f"{len(found)} tags are named {tag!r}: {', '.join(names)}; say category/name",
                candidates=names,
            )
        return found[0]

    # -- changing the catalog --------------------------------------------------------------

    def create_category(
        self,
        name: str,
        *,
        cardinality: str = "MULTIPLE",
        types: tuple[Any, ...] | list[Any] = (),
        description: str = "",
    ) -> str:
        """A new category; its id. ``types`` limits what its tags attach to: kinds ("vm",
        "host", ...) or vSphere type names ("VirtualMachine"); none means anything."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(f"category name {name!r}: a non-empty string")
        check_text(name, "category name")
        check_text(description, "description")
        cardinality = str(cardinality).upper()
        if cardinality not in _CARDINALITIES:
            raise InvalidInputError(f"cardinality={cardinality!r}: SINGLE or MULTIPLE")
        associable = sorted({t for kind in types for t in _type_names(kind)})
        label = _category_label(name)
        context = f"create {label}"
        # Refused here when the name is seen taken; the server refuses what is made meanwhile
        # (translated to the same error, see faults.translate_rest).
        if any(c.get("name") == name for c in self._categories().values()):
            raise InvalidInputError(f"{context}: {label} already exists")
        spec = {
            "create_spec": {
                "name": name,
                "description": description,
                "cardinality": cardinality,
                "associable_types": associable,
            }
        }
        category_id = self._rest.call(
            "POST", "/tagging/category", spec, context=context, subject=label
        )
        self._ops.logger.info("create tag category %r (%s)", name, cardinality)
        return str(category_id)

    def create_tag(self, name: str, category: str, *, description: str = "") -> str:
        """A new tag in a category; its id."""
        if not isinstance(name, str) or not name.strip() or "/" in name:
            raise InvalidInputError(f"tag name {name!r}: a non-empty string without '/'")
        check_text(name, "tag name")
        check_text(description, "description")
        category_id, _ = self._category_id(category)
        label = _tag_label(category, name)
        context = f"create {label}"
        # Refused here when the name is seen taken in the category (see create_category).
        if any(t.get("name") == name for t in self._tags_in(category_id, category).values()):
            raise InvalidInputError(f"{context}: {label} already exists")
        spec = {
            "create_spec": {"name": name, "description": description, "category_id": category_id}
        }
        tag_id = self._rest.call(
            "POST", "/tagging/tag", spec,
            context=context, subject=label, missing=_category_label(category),
        )  # fmt: skip
        self._ops.logger.info("create tag %s/%s", category, name)
        return str(tag_id)

    def delete_tag(self, tag: str) -> None:
        """Delete a tag ("category/name", or "name" when that is unambiguous)."""
        tag_id, t, c = self._tag_id(tag)
        label = _tag_label(c.get("name", "?"), t["name"])
        self._rest.call(
            "DELETE", f"/tagging/tag/id:{tag_id}", context=f"delete {label}", subject=label
        )
        self._ops.logger.info("delete tag %s/%s", c.get("name"), t["name"])

    def delete_category(self, category: str) -> None:
        """Delete a category and its tags."""
        category_id, _ = self._category_id(category)
        label = _category_label(category)
        self._rest.call(
            "DELETE",
            f"/tagging/category/id:{category_id}",
            context=f"delete {label}",
            subject=label,
        )
        self._ops.logger.info("delete tag category %r", category)

    # -- attaching -------------------------------------------------------------------------

    def _object(self, obj: Any, *, confirm: bool = False) -> tuple[Any, dict[str, str], str]:
        entry, target = self._ops.resolve(KINDS["entity"], obj, confirm=confirm)
        return target, {"id": entry.moid, "type": entry.type}, self._ops.name(entry)

    def attach(self, tag: str, obj: EntityRef) -> None:
        """Attach a tag to any inventory object (nothing if it is attached already)."""
        tag_id, t, category = self._tag_id(tag)
        _, object_id, shown = self._object(obj, confirm=True)
        label = _tag_label(category.get("name", "?"), t["name"])
        description = f"attach {label} to {shown}"
        allowed = category.get("associable_types") or []
        if allowed and object_id["type"] not in allowed:
            raise InvalidInputError(
                f"{description}: category {category.get('name')!r} takes only {', '.join(allowed)}"
            )
        attached = self._attached_ids(object_id, shown, description)
        if tag_id in attached:
            self._ops.logger.info("%s: already attached", description)
            return
        if category.get("cardinality") == "SINGLE":
            tags = self._tags()
            clash = [
                tags[i]["name"]
                for i in attached
                if tags.get(i, {}).get("category_id") == t["category_id"]
            ]
            if clash:
                raise InvalidStateError(
                    f"{description}: category {category.get('name')!r} allows one tag per object, "
                    f"and {shown} has {clash[0]!r}"
                )
        self._rest.call(
            "POST", f"/tagging/tag-association/id:{tag_id}?~action=attach",
            {"object_id": object_id}, context=description,
            subject=label, missing=f"{label} or {shown}",
        )  # fmt: skip
        self._ops.logger.info("%s", description)

    def detach(self, tag: str, obj: EntityRef) -> None:
        """Detach a tag from an object (nothing if it is not attached)."""
        tag_id, t, category = self._tag_id(tag)
        _, object_id, shown = self._object(obj, confirm=True)
        label = _tag_label(category.get("name", "?"), t["name"])
        description = f"detach {label} from {shown}"
        self._rest.call(
            "POST", f"/tagging/tag-association/id:{tag_id}?~action=detach",
            {"object_id": object_id}, context=description,
            subject=label, missing=f"{label} or {shown}",
        )  # fmt: skip
        self._ops.logger.info("%s", description)

    def _attached_ids(self, object_id: dict[str, str], shown: str, context: str) -> list[str]:
        return list(
            self._rest.call(
                "POST", "/tagging/tag-association?~action=list-attached-tags",
                {"object_id": object_id}, context=context, subject=shown,
            ) or []
        )  # fmt: skip

    def tags_of(self, obj: EntityRef) -> list[str]:
        """The tags attached to an object, as "category/name"."""
        _, object_id, shown = self._object(obj)
        ids = self._attached_ids(object_id, shown, f"list the tags of {shown}")
        if not ids:
            return []
        tags = self._tags()
        names = {i: c["name"] for i, c in self._categories().items()}
        return sorted(
            f"{names.get(tags[i]['category_id'], '?')}/{tags[i]['name']}" for i in ids if i in tags
        )

    def objects_with(self, tag: str) -> list[vim.ManagedEntity]:
        """The objects a tag is attached to (pyVmomi objects on this connection)."""
        tag_id, t, category = self._tag_id(tag)
        label = _tag_label(category.get("name", "?"), t["name"])
        refs = self._rest.call(
            "POST", f"/tagging/tag-association/id:{tag_id}?~action=list-attached-objects", {},
            context=f"list the objects with {label}", subject=label,
        ) or []  # fmt: skip
        inventory = self._ops.index.ready()
        out = []
        for ref in refs:
            entry = inventory.get(ref["id"]) or self._ops.index.refresh(ref["id"], ref["type"])
            if entry is not None:
                out.append(self._ops.resolver.obj(entry))
        return out

    def close(self) -> None:
        """End the REST session (VSphere.close() does)."""
        self._rest.close()


def _category_label(name: str) -> str:
    """How a category appears in messages: "category 'env'"."""
    return f"category {name!r}"


def _tag_label(category: str, name: str) -> str:
    """How a tag appears in messages: "tag 'env/prod'"."""
    return f"tag {f'{category}/{name}'!r}"


def _type_names(kind: Any) -> list[str]:
    """vSphere type names for a kind ("vm"), a pyVmomi type, or a type name itself."""
    if isinstance(kind, str) and kind[:1].isupper():
        return [kind]
    return sorted(kind_for(kind).types)
