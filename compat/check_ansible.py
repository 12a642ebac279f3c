"""Run compat/playbook.yml (everyday community.vmware tasks) against the bundled simulator.

    python compat/check_ansible.py [--venv .venv-compat]

Starts the simulator with TLS and enforced guest credentials, runs the playbook with the
ansible of the given virtual environment (`make compat` makes it from
compat/requirements.txt), and prints one line per task and "N of M passed". The exit status
is 0 when every task passes that is not listed in KNOWN_FAILURES below, 1 otherwise (2 when
the playbook could not be run at all). A listed task that passes is reported, so that the
list can shrink.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from vmware_wrapper.testing import Simulator

HERE = Path(__file__).resolve().parent
PLAYBOOK = HERE / "playbook.yml"
TIMEOUT = 900  # seconds for the whole playbook

# Tasks expected to fail against the simulator as it is, each with the reason: the
# simulator's gaps that community.vmware runs into, and what follows from them.
KNOWN_FAILURES: dict[str, str] = {}

VERSIONS = """
import json, pathlib, ansible.release, ansible_collections.community.vmware as c
manifest = pathlib.Path(c.__path__[0]) / "MANIFEST.json"
print("ansible-core", ansible.release.__version__, "community.vmware",
      json.loads(manifest.read_text())["collection_info"]["version"])
"""


def reason_of(result: dict[str, Any]) -> str:
    """One line saying why a task failed, from its result."""
    message = str(result.get("msg") or "")
    if result.get("failed_when_result") and not message:
        message = "the result did not pass the task's failed_when check"
    if result.get("assertion"):
        message = f"assertion failed: {result['assertion']}"
    stderr = str(result.get("module_stderr") or result.get("exception") or "").strip()
    if stderr and ("MODULE FAILURE" in message or not message):
        message = f"{message} {stderr.splitlines()[-1]}".strip()
    return " ".join(message.split()) or json.dumps(result)[:300]


def run_playbook(venv: Path, env: dict[str, str]) -> dict[str, Any]:
    process = subprocess.run(
        [str(venv / "bin" / "ansible-playbook"), "-i", "localhost,", str(PLAYBOOK)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    try:
        report: dict[str, Any] = json.loads(process.stdout)
    except ValueError:
        sys.stderr.write(process.stdout[-4000:] + process.stderr[-4000:])
        print(f"ansible-playbook exited with status {process.returncode} and no report")
        sys.exit(2)
    if process.returncode != 0:  # every task ignores errors: this is something else
        sys.stderr.write(process.stderr[-4000:])
        print(f"ansible-playbook exited with status {process.returncode}")
    report["returncode"] = process.returncode
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--venv",
        type=Path,
        default=HERE.parent / ".venv-compat",
        help="the virtual environment that has ansible (default: .venv-compat)",
    )
    args = parser.parse_args()
    venv = args.venv.absolute()
    python = venv / "bin" / "python"  # not resolved: the link is what makes it the venv's
    if not (venv / "bin" / "ansible-playbook").exists():
        print(f"{venv} has no ansible-playbook: 'make compat' installs it there")
        return 2
    versions = subprocess.run(
        [str(python), "-c", VERSIONS],
        capture_output=True,
        text=True,
        check=True,
    )
    print(versions.stdout.strip())

    guest_user, guest_password = "compat", secrets.token_urlsafe(12)
    started = time.monotonic()
    with (
        Simulator(tls=True, guest_username=guest_user, guest_password=guest_password) as sim,
        tempfile.TemporaryDirectory(prefix="vmw-compat-") as workdir,
    ):
        env = {
            **os.environ,
            **sim.env,
            "SSL_CERT_FILE": sim.ca_file,
            "REQUESTS_CA_BUNDLE": sim.ca_file,
            "COMPAT_GUEST_USER": guest_user,
            "COMPAT_GUEST_PASSWORD": guest_password,
            "COMPAT_WORKDIR": workdir,
            "ANSIBLE_HOME": os.path.join(workdir, "ansible"),
            "ANSIBLE_PYTHON_INTERPRETER": str(python),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_DEPRECATION_WARNINGS": "false",
            "ANSIBLE_NOCOLOR": "true",
        }
        print(f"simulator at {sim.url}, certificate checked through its CA file")
        report = run_playbook(venv, env)
    tasks = [task for play in report.get("plays", []) for task in play["tasks"]]

    passed = unexpected = 0
    reasons_given: set[str] = set()
    for task in tasks:
        name = task["task"]["name"]
        result = task["hosts"].get("localhost", {})
        known = KNOWN_FAILURES.get(name)
        if result.get("skipped"):
            line = f"SKIP  {name}: {result.get('skip_reason', 'skipped')}"
        elif not result.get("failed"):
            passed += 1
            line = f"PASS  {name}"
            if known:
                line += " (listed as a known failure: take it off the list)"
        elif known:
            why = "as above" if known in reasons_given else known
            reasons_given.add(known)
            line = f"KNOWN {name}: {reason_of(result)} [known: {why}]"
        else:
            unexpected += 1
            line = f"FAIL  {name}: {reason_of(result)}"
        print(line)
    names = {task["task"]["name"] for task in tasks}
    for name in sorted(set(KNOWN_FAILURES) - names):
        print(f"note: KNOWN_FAILURES names {name!r}, which the playbook does not have")

    print(f"took {time.monotonic() - started:.0f} s")
    print(f"{passed} of {len(tasks)} passed")
    if unexpected or report["returncode"] != 0 or not tasks:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
