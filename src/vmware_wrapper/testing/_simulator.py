"""Start and drive the bundled vCenter simulator (vmw-sim) from Python.

    with Simulator(vms_per_pool=2) as sim:
        vs = sim.connect()
        sim.inject_fault("PowerOnVM_Task", "InvalidState", count=2)

The simulator is VMware's govmomi vcsim with extensions (see the project's sim/ folder):
guest shutdown and reboot that take a moment, VMware Tools that stop and start with the
guest, guest operations without Docker, and fault injection. Test use only: guest programs
run on this machine.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .. import VSphere

_BINARY_NAME = "vmw-sim"
_BINARY_ENV = "VMW_SIM"
# What a directory saved with 'govc object.save' always holds: the service instance.
RECORDING_MARK = "*-ServiceInstance-ServiceInstance.xml"
# realistic=True: a Linux guest's VMware Tools report running some 20 to 40 seconds after
# power-on (its boot), and a guest acts on a shutdown or reboot request within seconds.
REALISTIC_TOOLS_DELAY = 30.0
REALISTIC_GUEST_DELAY = 5.0


class SimulatorError(RuntimeError):
    """The simulator could not be found, started or driven."""


def find_binary() -> str:
    """Where the simulator program is: $VMW_SIM, the one in this package (a platform wheel
    carries it; ``make sim`` builds it in a clone), or ``vmw-sim`` on PATH."""
    candidates = [
        os.environ.get(_BINARY_ENV, ""),
        str(Path(__file__).parent / "_bin" / _BINARY_NAME),
        shutil.which(_BINARY_NAME) or "",
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    # One line that names every way to get it: users see it as a failed fixture's report.
    raise SimulatorError(
        f"the {_BINARY_NAME} simulator is not installed: install a python-vmware-wrapper "
        f"wheel that carries it (a platform wheel, Linux), or build it ('make sim' in a clone "
        f"of the project, or 'pip install' from source with Go 1.25+ present), or set "
        f"{_BINARY_ENV} to the path of a {_BINARY_NAME} program"
    )


class Simulator:
    """A running vmw-sim process, for tests.

    Inventory: ``datacenters``, ``clusters`` (per datacenter), ``hosts_per_cluster``,
    ``standalone_hosts`` (per datacenter), ``vms_per_pool``, ``folders``, ``pools`` (per
    cluster), ``datastores``, ``portgroups``; or ``load`` a directory saved with
    ``govc object.save``. ``username``/``password`` are enforced when given (otherwise any
    non-empty pair logs in, and these default to "user"/"pass"). ``tls=True`` serves https
    with a certificate made at start: ``ca_file`` and ``thumbprint`` trust it.
    ``session_idle_timeout`` expires idle sessions; ``http_idle_timeout`` closes idle client
    connections, as a proxy or load balancer in front of vCenter does (seconds).
    ``tools_delay`` is how long VMware Tools take to start after a power-on or reboot,
    ``guest_delay`` how long a guest takes to act on a shutdown or reboot request (seconds):
    0.3 and 0.1 by default, or with ``realistic=True`` a real guest's 30 and 5 (what is given
    explicitly wins).
    ``api_version`` is the vSphere API version to pass for: "8.0.3.0" (the default for a
    generated inventory), "7.0.3.0", "6.7.3" or "6.5"; a loaded recording keeps its own.
    Guest operations require ``guest_username``/``guest_password``: those given, or else
    ones the simulator makes at start (read them from the properties of the same names).
    The control endpoint (``inject_fault`` and the like) needs a token made at start, which
    this object sends; datastore files over ``/folder`` need a logged-in session.
    """

    def __init__(
        self,
        *,
        vms_per_pool: int = 2,
        load: str | os.PathLike[str] | None = None,
        tls: bool = False,
        datacenters: int = 1,
        clusters: int = 1,
        hosts_per_cluster: int = 3,
        standalone_hosts: int = 1,
        folders: int = 0,
        pools: int = 0,
        datastores: int = 1,
        portgroups: int = 1,
        username: str | None = None,
        password: str | None = None,
        session_idle_timeout: float | None = None,
        http_idle_timeout: float | None = None,
        tools_delay: float | None = None,
        guest_delay: float | None = None,
        realistic: bool = False,
        guest_username: str | None = None,
        guest_password: str | None = None,
        start_timeout: float = 300.0,
        binary: str | None = None,
        api_version: str | None = None,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("username and password go together")
        if (guest_username is None) != (guest_password is None):
            raise ValueError("guest_username and guest_password go together")
        counts = {
            "vms_per_pool": vms_per_pool,
            "datacenters": datacenters,
            "clusters": clusters,
            "hosts_per_cluster": hosts_per_cluster,
            "standalone_hosts": standalone_hosts,
            "folders": folders,
            "pools": pools,
            "datastores": datastores,
            "portgroups": portgroups,
        }
        for name, count in counts.items():
            if not isinstance(count, int) or count < 0:
                raise ValueError(f"{name}={count!r}: a count, 0 or more")
        if load is not None and not any(Path(load).glob(RECORDING_MARK)):
            raise ValueError(
                f"load={os.fspath(load)!r}: not an inventory saved with 'govc object.save' "
                f"(it has no {RECORDING_MARK} file)"
            )
        if tools_delay is None:
            tools_delay = REALISTIC_TOOLS_DELAY if realistic else 0.3
        if guest_delay is None:
            guest_delay = REALISTIC_GUEST_DELAY if realistic else 0.1
        self.username = username or "user"
        self.password = password or "pass"
        self.tls = tls
        self.start_timeout = start_timeout
        self._binary = binary
        args = [
            f"-vm={vms_per_pool}",
            f"-dc={datacenters}",
            f"-cluster={clusters}",
            f"-host={hosts_per_cluster}",
            f"-standalone-host={standalone_hosts}",
            f"-folder={folders}",
            f"-pool={pools}",
            f"-ds={datastores}",
            f"-pg={portgroups}",
            f"-tools-delay={tools_delay}s",
            f"-guest-delay={guest_delay}s",
        ]
        if load is not None:
            args.append(f"-load={os.fspath(load)}")
        if tls:
            args.append("-tls")
        if username is not None:
            args += [f"-username={username}", f"-password={password}"]
        if session_idle_timeout is not None:
            args.append(f"-session-idle-timeout={session_idle_timeout}s")
        if http_idle_timeout is not None:
            args.append(f"-http-idle-timeout={http_idle_timeout}s")
        if guest_username is not None:
            args += [f"-guest-username={guest_username}", f"-guest-password={guest_password}"]
        if api_version is not None:
            args.append(f"-api-version={api_version}")
        self._args = args
        self._process: subprocess.Popen[bytes] | None = None
        self._info: dict[str, Any] = {}
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Start the simulator and wait until it accepts connections."""
        if self._process is not None:
            return self
        binary = self._binary or find_binary()
        self._workdir = tempfile.TemporaryDirectory(prefix="vmw-sim-")
        # The simulator's datastores and guest sandboxes go in our directory, so that they
        # are removed with it, even when the process was killed.
        tmp = os.path.join(self._workdir.name, "tmp")
        os.mkdir(tmp)
        log = open(self.log_path, "wb")  # noqa: SIM115 (the process keeps writing to it)
        try:
            self._process = subprocess.Popen(
                [binary, *self._args],
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "TMPDIR": tmp},
            )
        finally:
            log.close()
        line = self._read_ready_line()
        try:
            self._info = json.loads(line)
        except ValueError:
            self.stop()
            raise SimulatorError(
                f"the simulator printed {line!r} instead of its ready line"
            ) from None
        atexit.register(self.stop)
        return self

    def _read_ready_line(self) -> str:
        assert self._process is not None
        assert self._process.stdout is not None
        stdout = self._process.stdout
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout)
        if not result or not result[0]:
            code = self._process.poll()
            if result and code is None:  # its output ended: it is exiting
                try:
                    code = self._process.wait(10)
                except subprocess.TimeoutExpired:
                    code = None
            why = "did not start in time" if code is None else f"exited with status {code}"
            tail = self.log_tail()
            self.stop()
            raise SimulatorError(f"the simulator {why}: {tail}")
        return result[0].decode()

    def stop(self) -> None:
        """Stop the simulator (SIGTERM, then SIGKILL after 10 seconds) and remove its files."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
        atexit.unregister(self.stop)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log_path(self) -> str:
        """The simulator's log (its standard error)."""
        assert self._workdir is not None, "the simulator has not been started"
        return os.path.join(self._workdir.name, "vmw-sim.log")

    def log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:]).strip() or "(no output)"
        except OSError:
            return "(no log)"

    # -- how to reach it -------------------------------------------------------------------

    def _get(self, key: str) -> Any:
        if not self._info:
            raise SimulatorError("the simulator has not been started")
        return self._info[key]

    @property
    def host(self) -> str:
        return str(self._get("host"))

    @property
    def port(self) -> int:
        return int(self._get("port"))

    @property
    def protocol(self) -> str:
        return str(self._get("protocol"))

    @property
    def url(self) -> str:
        """The SDK endpoint, e.g. "https://127.0.0.1:40123/sdk"."""
        return str(self._get("url"))

    @property
    def pid(self) -> int:
        return int(self._get("pid"))

    @property
    def vm_count(self) -> int:
        """How many VMs the inventory had at start."""
        return int(self._get("vms"))

    @property
    def guest_username(self) -> str:
        """The guest username that guest operations require (given, or "vmw-guest")."""
        return str(self._get("guest_username"))

    @property
    def guest_password(self) -> str:
        """The guest password that guest operations require (given, or made at start)."""
        return str(self._get("guest_password"))

    @property
    def guest_root(self) -> str:
        """The directory that holds each VM's guest sandbox."""
        return str(self._get("guest_root"))

    @property
    def thumbprint(self) -> str:
        """The SHA-256 thumbprint of the certificate (tls=True only)."""
        return str(self._get("thumbprint_sha256"))

    @property
    def thumbprint_sha1(self) -> str:
        return str(self._get("thumbprint_sha1"))

    @property
    def certificate_pem(self) -> str:
        return str(self._get("certificate_pem"))

    @property
    def ca_file(self) -> str:
        """A file holding the certificate, to trust it as a CA (tls=True only)."""
        assert self._workdir is not None
        path = os.path.join(self._workdir.name, "ca.pem")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write(self.certificate_pem)
        return path

    @property
    def env(self) -> dict[str, str]:
        """The environment that makes ``VSphere.from_env()``, ``vmw`` and ``govc`` use this
        simulator (govc trusts its certificate through ``GOVC_TLS_CA_CERTS``)."""
        env = {
            "VMWARE_HOST": self.host,
            "VMWARE_PORT": str(self.port),
            "VMWARE_USER": self.username,
            "VMWARE_PASSWORD": self.password,
            # VMWARE_* variables cannot say "plain http"; a GOVC_URL with its scheme can.
            "GOVC_URL": f"{self.protocol}://{self.host}:{self.port}/sdk",
            "GOVC_USERNAME": self.username,
            "GOVC_PASSWORD": self.password,
        }
        if self.tls:
            env["VMWARE_THUMBPRINT"] = self.thumbprint
            env["GOVC_TLS_CA_CERTS"] = str(self.ca_file)
        return env

    def connect(self, **overrides: Any) -> VSphere:
        """A ``VSphere`` connected to this simulator (trusting its certificate by thumbprint)."""
        from .. import VSphere

        settings: dict[str, Any] = {
            "port": self.port,
            "protocol": self.protocol,
        }
        if self.tls:
            settings["thumbprint"] = self.thumbprint
        settings.update(overrides)
        return VSphere(self.host, self.username, self.password, **settings)

    def pyvmomi(self, *, timeout: float | None = 120.0) -> Any:
        """A plain pyVmomi ServiceInstance, logged in, for checking results independently
        of this library. When done: ``si.content.sessionManager.Logout()`` and
        ``si._stub.DropConnections()`` (pyVmomi leaves its sockets open otherwise).
        ``timeout``: seconds a call may go unanswered before it fails (None: no limit; plain
        pyVmomi has none, so a test of a hung server would hang with it)."""
        from .._base.vmomi import SoapStubAdapter, vim
        from .._transport.http import HttpConnector
        from .._transport.session import negotiate_version

        context = None
        if self.tls:
            context = ssl.create_default_context(cafile=self.ca_file)
        version = negotiate_version(
            HttpConnector(self.protocol, self.host, self.port, context, timeout or 60.0)
        )
        port = self.port if self.protocol == "https" else -self.port  # pyVmomi: < 0 is http
        stub = SoapStubAdapter(
            host=self.host,
            port=port,
            version=version,
            sslContext=context,
            httpConnectionTimeout=timeout,
        )
        si = vim.ServiceInstance("ServiceInstance", stub)
        try:
            si.RetrieveContent().sessionManager.Login(self.username, self.password)
        except BaseException:
            stub.DropConnections()
            raise
        return si

    # -- fault injection and runtime settings ----------------------------------------------

    def _control(self, path: str, method: str = "GET", body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        # An http(s) URL from the simulator's own ready line.
        url = str(self._get("control_url")) + path
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        # The endpoint refuses requests without the token the simulator made at start.
        request.add_header("Authorization", f"Bearer {self._get('control_token')}")
        context = ssl.create_default_context(cafile=self.ca_file) if self.tls else None
        try:
            with urllib.request.urlopen(request, timeout=30, context=context) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as e:
            raise SimulatorError(f"{method} {path}: {e.read().decode().strip()}") from e

    def inject_fault(
        self,
        method: str,
        fault: str,
        *,
        count: int = 1,
        message: str | None = None,
        in_task: bool = False,
    ) -> None:
        """Make the next ``count`` calls of a SOAP method (e.g. "PowerOnVM_Task") fail with
        the named vSphere fault (e.g. "InvalidState"). ``in_task=True`` makes a *_Task method
        return a task that fails, instead of failing the call itself."""
        rule: dict[str, Any] = {
            "method": method,
            "fault": fault,
            "count": count,
            "in_task": in_task,
        }
        if message:
            rule["message"] = message
        self._control("faults", "POST", rule)

    def pending_faults(self) -> list[dict[str, Any]]:
        return list(self._control("faults"))

    def clear_faults(self) -> None:
        self._control("faults", "DELETE")

    def set_latency(self, method: str, seconds: float) -> None:
        """Delay every call of a SOAP method ("*": every method) by ``seconds`` (0 removes)."""
        self._control("latency", "POST", {"method": method, "seconds": seconds})

    def clear_latency(self) -> None:
        self._control("latency", "DELETE")

    def set_task_delay(self, method: str, seconds: float) -> None:
        """Make the tasks of a *_Task method (e.g. "PowerOnVM_Task") run for ``seconds``,
        reporting progress, before they do their work (0 removes). The stock simulator
        finishes every task before it answers."""
        self._control("taskdelay", "POST", {"method": method, "seconds": seconds})

    def clear_task_delays(self) -> None:
        self._control("taskdelay", "DELETE")

    def set_answer_delay(self, method: str, seconds: float) -> None:
        """Hold back the answers of a SOAP method for ``seconds`` after they are made (0
        removes): the client reads what was true that long ago, as over a slow link."""
        self._control("answerdelay", "POST", {"method": method, "seconds": seconds})

    def clear_answer_delays(self) -> None:
        self._control("answerdelay", "DELETE")

    def fail_customization(self, vm: str, reason: str = "") -> None:
        """Make the guest customization of the next clone named ``vm`` (customized and
        powered on by its clone) fail with ``reason``: the clone succeeds, then
        CustomizationFailed is posted for it, as vCenter reports a guest that failed."""
        self._control("customization", "POST", {"vm": vm, "reason": reason})

    def clear_customization_failures(self) -> None:
        self._control("customization", "DELETE")

    def set_datastore_free(self, datastore: str, free_bytes: int) -> None:
        """Make a datastore report ``free_bytes`` free (0: full). Uploads through an import
        lease to a VM on a full datastore stop, as the bytes arrive, with HTTP 507."""
        self._control("datastore", "POST", {"name": datastore, "free_bytes": free_bytes})

    def datastore_free(self) -> dict[str, int]:
        """What each datastore reports free, in bytes, by name."""
        return dict(self._control("datastore"))

    def call_counts(self) -> dict[str, int]:
        """How many SOAP calls of each method the simulator has answered."""
        return dict(self._control("calls"))

    def reset_call_counts(self) -> None:
        self._control("calls", "DELETE")

    def configure(
        self, *, tools_delay: float | None = None, guest_delay: float | None = None
    ) -> None:
        """Change the tools and guest delays of the running simulator (seconds)."""
        body = {
            k: v
            for k, v in (("tools_delay", tools_delay), ("guest_delay", guest_delay))
            if v is not None
        }
        self._control("config", "POST", body)

    def __repr__(self) -> str:
        where = self._info.get("url", "not started")
        return f"<Simulator {where}>"
