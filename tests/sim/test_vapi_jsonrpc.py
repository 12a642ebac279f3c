"""vAPI JSON-RPC (POST /api), what the vSphere Automation SDK for Python (and so Ansible's
community.vmware tag modules) speaks, asked as the SDK asks it: plain HTTP, typed values
({"STRUCTURE": {...}}, {"OPTIONAL": ...}, {"SECRET": ...}), the security context in
params.ctx. Categories, tags and attachments are the ones /rest and /api serve. And each
host's vSAN system, which vmware_host_facts reads."""

from __future__ import annotations

import itertools
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, plain_pyvmomi
from vmware_wrapper.testing import Simulator

VM = {"type": "VirtualMachine", "id": "vm-42"}


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(vms_per_pool=1, username="tagger", password="tag-secret") as simulator:
        yield simulator


def structure(type_name: str, /, **fields: Any) -> dict[str, Any]:
    return {"STRUCTURE": {type_name: fields}}


def plain(value: Any) -> Any:
    """A typed value as plain JSON: structures and errors as {"<type>": {fields}}."""
    if isinstance(value, dict) and len(value) == 1:
        ((kind, inner),) = value.items()
        if kind in ("STRUCTURE", "ERROR"):
            ((name, fields),) = inner.items()
            return {name: {k: plain(v) for k, v in fields.items()}}
        if kind == "OPTIONAL":
            return None if inner is None else plain(inner)
        if kind == "SECRET":
            return inner
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def fields(value: Any) -> dict[str, Any]:
    """The fields of a structure (plain), whatever its type's name."""
    ((_, f),) = plain(value).items()
    assert isinstance(f, dict)
    return f


class VapiError(Exception):
    def __init__(self, error: Any) -> None:
        ((self.kind, self.fields),) = plain(error).items()
        super().__init__(self.kind)


class JsonRpc:
    """One client, as vmware.vapi's JsonClientProvider sends its calls."""

    def __init__(self, sim: Simulator) -> None:
        self.url = f"{sim.protocol}://{sim.host}:{sim.port}/api"
        self.security: dict[str, Any] = {}
        self.ids = itertools.count(1)

    def post(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 200
            return json.loads(response.read())

    def invoke(self, service: str, operation: str, **inputs: Any) -> Any:
        """The operation's output, or VapiError with the error it answered."""
        request_id = str(next(self.ids))
        ctx: dict[str, Any] = {"appCtx": {"opId": "test-" + request_id}}
        if self.security:
            ctx["securityCtx"] = self.security
        answer = self.post(
            {
                "jsonrpc": "2.0",
                "method": "invoke",
                "params": {
                    "serviceId": service,
                    "operationId": operation,
                    "input": structure("operation-input", **inputs),
                    "ctx": ctx,
                },
                "id": request_id,
            },
            {"vapi-service": service, "vapi-operation": operation},
        )
        assert answer["jsonrpc"] == "2.0"
        assert answer["id"] == request_id
        result = answer["result"]
        if "error" in result:
            raise VapiError(result["error"])
        return result["output"]

    def login(self, user: str, password: str) -> str:
        self.security = {
            "schemeId": "com.vmware.vapi.std.security.user_pass",
            "userName": user,
            "password": password,
        }
        secret = self.invoke("com.vmware.cis.session", "create")
        assert set(secret) == {"SECRET"}
        token: str = secret["SECRET"]
        self.security = {
            "schemeId": "com.vmware.vapi.std.security.session_id",
            "sessionId": token,
        }
        return token


@pytest.fixture
def rpc(sim: Simulator) -> Iterator[JsonRpc]:
    client = JsonRpc(sim)
    client.login(sim.username, sim.password)
    yield client
    client.invoke("com.vmware.cis.session", "delete")


def rest(sim: Simulator, token: str, method: str, path: str, body: Any = None) -> Any:
    """A /rest call with the JSON-RPC session's token: its value."""
    request = urllib.request.Request(
        f"{sim.protocol}://{sim.host}:{sim.port}/rest/com/vmware/cis/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"vmware-api-session-id": token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read()).get("value")


CATEGORY = "com.vmware.cis.tagging.category"
TAG = "com.vmware.cis.tagging.tag"
ASSOCIATION = "com.vmware.cis.tagging.tag_association"


def category_spec(name: str, **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "description": "made over JSON-RPC",
        "cardinality": "MULTIPLE",
        "associable_types": [],
        "category_id": {"OPTIONAL": None},
    }
    spec.update(overrides)
    return structure("com.vmware.cis.tagging.category.create_spec", **spec)


def test_sessions(sim: Simulator) -> None:
    client = JsonRpc(sim)
    client.security = {
        "schemeId": "com.vmware.vapi.std.security.user_pass",
        "userName": sim.username,
        "password": "wrong",
    }
    with pytest.raises(VapiError) as refused:
        client.invoke("com.vmware.cis.session", "create")
    assert refused.value.kind == "com.vmware.vapi.std.errors.unauthenticated"

    token = client.login(sim.username, sim.password)
    info = client.invoke("com.vmware.cis.session", "get")
    assert list(info["STRUCTURE"]) == ["com.vmware.cis.session.info"]
    assert fields(info)["user"] == sim.username
    assert fields(info)["created_time"].endswith("Z")
    # The same session serves /rest, as on vCenter.
    assert rest(sim, token, "GET", "tagging/category") in (None, [])

    assert client.invoke("com.vmware.cis.session", "delete") is None
    with pytest.raises(VapiError) as ended:
        client.invoke(CATEGORY, "list")
    assert ended.value.kind == "com.vmware.vapi.std.errors.unauthenticated"
    assert ended.value.fields["error_type"] == "UNAUTHENTICATED"


def test_categories_and_tags(sim: Simulator, rpc: JsonRpc) -> None:
    category = rpc.invoke(CATEGORY, "create", create_spec=category_spec("rpc-env"))
    assert category.startswith("urn:vmomi:InventoryServiceCategory:")
    assert category in rpc.invoke(CATEGORY, "list")

    model = rpc.invoke(CATEGORY, "get", category_id=category)
    assert list(model["STRUCTURE"]) == ["com.vmware.cis.tagging.category_model"]
    assert fields(model) == {
        "id": category,
        "name": "rpc-env",
        "description": "made over JSON-RPC",
        "cardinality": "MULTIPLE",
        "associable_types": [],
        "used_by": [],
    }
    with pytest.raises(VapiError) as taken:
        rpc.invoke(CATEGORY, "create", create_spec=category_spec("rpc-env"))
    assert taken.value.kind == "com.vmware.vapi.std.errors.already_exists"

    update = structure(
        "com.vmware.cis.tagging.category.update_spec",
        name={"OPTIONAL": None},
        description={"OPTIONAL": "changed"},
        cardinality={"OPTIONAL": None},
        associable_types={"OPTIONAL": None},
    )
    assert rpc.invoke(CATEGORY, "update", category_id=category, update_spec=update) is None
    assert fields(rpc.invoke(CATEGORY, "get", category_id=category))["description"] == "changed"
    # One store: /rest sees what JSON-RPC made and changed.
    token = rpc.security["sessionId"]
    assert rest(sim, token, "GET", f"tagging/category/id:{category}")["description"] == "changed"

    tag_spec = structure(
        "com.vmware.cis.tagging.tag.create_spec",
        name="rpc-prod",
        description="",
        category_id=category,
        tag_id={"OPTIONAL": None},
    )
    tag = rpc.invoke(TAG, "create", create_spec=tag_spec)
    assert tag.startswith("urn:vmomi:InventoryServiceTag:")
    assert rpc.invoke(TAG, "list_tags_for_category", category_id=category) == [tag]
    model = rpc.invoke(TAG, "get", tag_id=tag)
    assert list(model["STRUCTURE"]) == ["com.vmware.cis.tagging.tag_model"]
    assert fields(model) == {
        "id": tag,
        "category_id": category,
        "name": "rpc-prod",
        "description": "",
        "used_by": [],
    }
    assert rest(sim, token, "GET", f"tagging/tag/id:{tag}")["name"] == "rpc-prod"

    assert rpc.invoke(TAG, "delete", tag_id=tag) is None
    assert rpc.invoke(CATEGORY, "delete", category_id=category) is None
    for service, operation, key, gone in (
        (TAG, "get", "tag_id", tag),
        (CATEGORY, "get", "category_id", category),
        (TAG, "list_tags_for_category", "category_id", category),
    ):
        with pytest.raises(VapiError) as missing:
            rpc.invoke(service, operation, **{key: gone})
        assert missing.value.kind == "com.vmware.vapi.std.errors.not_found"
        assert missing.value.fields["error_type"] == "NOT_FOUND"
        (message,) = missing.value.fields["messages"]
        assert set(message["com.vmware.vapi.std.localizable_message"]) >= {
            "id",
            "default_message",
            "args",
        }
    assert category not in rpc.invoke(CATEGORY, "list")
    assert tag not in (rest(sim, token, "GET", "tagging/tag") or [])


def test_attachments(sim: Simulator, rpc: JsonRpc) -> None:
    category = rpc.invoke(CATEGORY, "create", create_spec=category_spec("rpc-owner"))
    tags = [
        rpc.invoke(
            TAG,
            "create",
            create_spec=structure(
                "com.vmware.cis.tagging.tag.create_spec",
                name=name,
                description="",
                category_id=category,
                tag_id={"OPTIONAL": None},
            ),
        )
        for name in ("rpc-alice", "rpc-bob")
    ]
    vm = structure("com.vmware.vapi.std.dynamic_ID", **VM)
    token = rpc.security["sessionId"]
    try:
        # As vmware_tag_manager adds tags.
        result = rpc.invoke(
            ASSOCIATION, "attach_multiple_tags_to_object", object_id=vm, tag_ids=tags
        )
        assert list(result["STRUCTURE"]) == ["com.vmware.cis.tagging.tag_association.batch_result"]
        assert fields(result) == {"success": True, "error_messages": []}
        assert sorted(rpc.invoke(ASSOCIATION, "list_attached_tags", object_id=vm)) == sorted(tags)
        objects = rpc.invoke(ASSOCIATION, "list_attached_objects", tag_id=tags[0])
        assert [fields(o) for o in objects] == [VM]
        (on_object,) = rpc.invoke(ASSOCIATION, "list_attached_tags_on_objects", object_ids=[vm])
        assert fields(on_object)["object_id"] == {"com.vmware.vapi.std.dynamic_ID": VM}
        assert sorted(fields(on_object)["tag_ids"]) == sorted(tags)
        # /rest sees the same attachments.
        seen = rest(
            sim,
            token,
            "POST",
            "tagging/tag-association?~action=list-attached-tags",
            {"object_id": VM},
        )
        assert sorted(seen) == sorted(tags)

        # As vmware_tag_manager removes them; then gone from every list.
        result = rpc.invoke(
            ASSOCIATION, "detach_multiple_tags_from_object", object_id=vm, tag_ids=tags
        )
        assert fields(result) == {"success": True, "error_messages": []}
        assert rpc.invoke(ASSOCIATION, "list_attached_tags", object_id=vm) == []
        assert rpc.invoke(ASSOCIATION, "list_attached_objects", tag_id=tags[0]) == []

        # One at a time, and a tag that does not exist.
        assert rpc.invoke(ASSOCIATION, "attach", tag_id=tags[1], object_id=vm) is None
        assert rpc.invoke(ASSOCIATION, "list_attached_tags", object_id=vm) == [tags[1]]
        assert rpc.invoke(ASSOCIATION, "detach", tag_id=tags[1], object_id=vm) is None
        assert rpc.invoke(ASSOCIATION, "list_attached_tags", object_id=vm) == []
        with pytest.raises(VapiError) as missing:
            rpc.invoke(
                ASSOCIATION, "attach", tag_id="urn:vmomi:InventoryServiceTag:x:GLOBAL", object_id=vm
            )
        assert missing.value.kind == "com.vmware.vapi.std.errors.not_found"
        result = rpc.invoke(
            ASSOCIATION,
            "attach_multiple_tags_to_object",
            object_id=vm,
            tag_ids=["urn:vmomi:InventoryServiceTag:x:GLOBAL"],
        )
        assert fields(result)["success"] is False
        (message,) = fields(result)["error_messages"]
        assert "com.vmware.vapi.std.localizable_message" in message
    finally:
        rpc.invoke(CATEGORY, "delete", category_id=category)


def test_what_it_does_not_serve_is_an_error(sim: Simulator, rpc: JsonRpc) -> None:
    with pytest.raises(VapiError) as unknown:
        rpc.invoke("com.vmware.vcenter.no_such_service", "list")
    assert unknown.value.kind == "com.vmware.vapi.std.errors.operation_not_found"
    answer = rpc.post({"jsonrpc": "2.0", "method": "no-such-method", "params": {}, "id": "9"})
    assert answer["error"]["code"] == -32601
    assert answer["id"] == "9"


def test_each_host_has_a_vsan_system_of_its_own(sim: Simulator) -> None:
    with plain_pyvmomi(sim) as si:
        hosts = all_objects(si, vim.HostSystem)
        systems = [host.configManager.vsanSystem for host in hosts]
        assert len({s._moId for s in systems}) == len(hosts)
        for host, vsan in zip(hosts, systems, strict=True):
            # As vmware_host_facts reads it: a host not in a vSAN cluster.
            assert vsan.config.enabled is False
            assert vsan.config.hostSystem == host
            status = vsan.QueryHostStatus()
            assert status.health == "unknown"
            assert status.nodeState.state == "disabled"
            assert status.uuid is None
