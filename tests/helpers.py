"""Helpers for tests: read the server through plain pyVmomi and wait for what it reports."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyVmomi import vim, vmodl


@contextmanager
def plain_pyvmomi(sim: Any, timeout: float | None = 120.0) -> Iterator[Any]:
    """A plain pyVmomi ServiceInstance on a simulator, logged out and disconnected after;
    a call unanswered for ``timeout`` seconds fails (a hung simulator fails the test, and
    its teardown, instead of hanging the run)."""
    si = sim.pyvmomi(timeout=timeout)
    try:
        yield si
    finally:
        si.content.sessionManager.Logout()
        si._stub.DropConnections()


def all_objects(si: Any, vimtype: Any) -> list[Any]:
    content = si.content
    view = content.viewManager.CreateContainerView(content.rootFolder, [vimtype], True)
    try:
        return list(view.view)
    finally:
        view.Destroy()


def name_or_none(entity: Any) -> str | None:
    """An entity's name, or None when it was destroyed after it was listed (other tests'
    clean-ups run on the same simulator)."""
    try:
        return str(entity.name)
    except vmodl.fault.ManagedObjectNotFound:
        return None


def find_vm(si: Any, name: str) -> Any:
    matches = [vm for vm in all_objects(si, vim.VirtualMachine) if name_or_none(vm) == name]
    assert len(matches) == 1, f"{len(matches)} VMs named {name}"
    return matches[0]


def pool_allocation() -> Any:
    """The resource settings a new resource pool or vApp needs: no reservation, no limit."""

    def share() -> Any:
        return vim.ResourceAllocationInfo(
            reservation=0,
            limit=-1,
            expandableReservation=True,
            shares=vim.SharesInfo(level="normal", shares=0),
        )

    return vim.ResourceConfigSpec(cpuAllocation=share(), memoryAllocation=share())


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll a condition read from the server (test helper; the library itself never polls)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


def wait_task(task: Any, timeout: float = 30.0) -> Any:
    wait_until(lambda: task.info.state in ("success", "error"), timeout, f"task {task}")
    if task.info.state == "error":
        raise task.info.error
    return task.info.result


def vm_events(si: Any, vm: Any) -> list[str]:
    """The type names of the events recorded about a VM, e.g. "VmPoweredOnEvent"."""
    by_vm = vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self")
    # A full page: the simulator answers a default page of 10 with the oldest events.
    spec = vim.event.EventFilterSpec(entity=by_vm, maxCount=1000)
    events = si.content.eventManager.QueryEvents(spec)
    return [type(e).__name__.rsplit(".", 1)[-1] for e in events]


_SOAP_METHOD = re.compile(rb"<(?:\w+:)?Body>\s*<(?:\w+:)?(\w+)")


@contextmanager
def soap_traffic() -> Iterator[list[tuple[str, str]]]:
    """Record, in order, the SOAP requests this process sends and the answers it receives,
    from any thread and any client (pyVmomi's or the library's): ("call", method) just before
    a request goes out, ("answer", method) once its answer has come back. Recorded at the
    HTTP layer (http.client, under both), it shows which requests overlapped, without timing
    anything: a request sent while another waits for its answer comes before that answer."""
    events: list[tuple[str, str]] = []
    lock = threading.Lock()
    pending: dict[int, str] = {}  # id(connection) -> the method of its request
    real_request = http.client.HTTPConnection.request
    real_getresponse = http.client.HTTPConnection.getresponse

    def request(self: Any, method: str, url: str, body: Any = None, *args: Any, **kw: Any) -> Any:
        data = body.encode() if isinstance(body, str) else body
        found = _SOAP_METHOD.search(data) if isinstance(data, bytes) else None
        if found:
            with lock:
                pending[id(self)] = found.group(1).decode()
                events.append(("call", pending[id(self)]))
        return real_request(self, method, url, body, *args, **kw)

    def getresponse(self: Any) -> Any:
        response = real_getresponse(self)
        with lock:
            method = pending.pop(id(self), None)
            if method is not None:
                events.append(("answer", method))
        return response

    http.client.HTTPConnection.request = request  # type: ignore[method-assign]
    http.client.HTTPConnection.getresponse = getresponse  # type: ignore[method-assign]
    try:
        yield events
    finally:
        http.client.HTTPConnection.request = real_request  # type: ignore[method-assign]
        http.client.HTTPConnection.getresponse = real_getresponse  # type: ignore[method-assign]


# What the inventory watch does in the background, whatever the test does.
WATCH_METHODS = {
    "WaitForUpdatesEx",
    "CreatePropertyCollector",
    "CreateFilter",
    "CreateContainerView",
}


def foreground_calls(sim: Any) -> dict[str, int]:
    """The simulator's SOAP call counts, without the inventory watch's own calls."""
    return {m: n for m, n in sim.call_counts().items() if m not in WATCH_METHODS}


def properties_of_all(
    si: Any, vimtype: Any, paths: list[str]
) -> dict[str, tuple[Any, dict[str, Any]]]:
    """name -> (object, {path: value}), for every object of a type, in one plain pyVmomi
    retrieval."""
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
        propSet=[pc.PropertySpec(type=vimtype, pathSet=["name", *paths])],
    )
    try:
        found: dict[str, tuple[Any, dict[str, Any]]] = {}
        result = content.propertyCollector.RetrievePropertiesEx([spec], pc.RetrieveOptions())
        while result is not None:
            for item in result.objects:
                props = {p.name: p.val for p in item.propSet}
                found[props["name"]] = (item.obj, props)
            if not result.token:
                break
            result = content.propertyCollector.ContinueRetrievePropertiesEx(result.token)
        return found
    finally:
        view.Destroy()


def property_of_all(si: Any, vimtype: Any, path: str) -> dict[str, Any]:
    """name -> one property, for every object of a type, in one plain pyVmomi retrieval."""
    return {
        name: props.get(path) for name, (_, props) in properties_of_all(si, vimtype, [path]).items()
    }


def rest(
    sim: Any, method: str, path: str, body: Any = None, *, under: str = "/rest/com/vmware/cis"
) -> Any:
    """Plain REST calls to the simulator's vAPI endpoint (tagging; content libraries with
    ``under="/rest/com/vmware"``), independent of the library."""
    base = f"{sim.protocol}://{sim.host}:{sim.port}{under}"
    context = ssl.create_default_context(cafile=sim.ca_file) if sim.tls else None
    login = urllib.request.Request(
        f"{sim.protocol}://{sim.host}:{sim.port}/rest/com/vmware/cis/session", method="POST"
    )
    token = base64.b64encode(f"{sim.username}:{sim.password}".encode()).decode()
    login.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(login, context=context) as r:
        session = json.load(r)["value"]
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("vmware-api-session-id", session)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, context=context) as r:
        raw = r.read()
    return json.loads(raw).get("value") if raw else None


# govc of the simulator's govmomi release, installed next to the virtualenv's python.
GOVC = Path(sys.executable).parent / "govc"


def govc(sim: Any, *args: str, timeout: float = 30.0) -> str:
    """Run govc against a simulator, as another client would; its standard output.

    Only the simulator's settings reach it (no GOVC_* of the caller's environment, such as
    GOVC_INSECURE), and it keeps no session on disk."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVC_", "GOVMOMI_"))}
    env.update(sim.env)
    env["GOVC_PERSIST_SESSION"] = "false"
    command = [str(GOVC), *args]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout, check=True
        )
    except subprocess.CalledProcessError as e:
        raise AssertionError(
            f"govc {' '.join(args)} failed ({e.returncode}): {e.stderr.strip()}"
        ) from None
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"govc {' '.join(args)} did not finish in {timeout} s") from e
    return done.stdout


def govc_json(sim: Any, command: str, *args: str, timeout: float = 30.0) -> Any:
    """govc's -json output of a command, parsed: govc_json(sim, "vm.info", "web-07")."""
    return json.loads(govc(sim, command, "-json", *args, timeout=timeout))
