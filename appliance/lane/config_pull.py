"""`comptoir config pull`: the box fetches its configuration bundle from its office over its
mutual TLS link (`GET /v1/config`), checks the office's signature, and applies `site.yml` to
itself with `ansible_connection=local` (no SSH anywhere); the recap goes to the office through
the outbox (`config_applied`, or `config_failed` for a refused bundle, an office that did not
answer or a failed run).

Trust: the office's configuration key comes over the link the lane's enrolment pinned, the
first time, and is kept (`office/config-signing.pub`); a bundle signed by any other key, or a
served key that is not the pinned one, is refused. Re-pinning is a person's act: remove the
file.

The pull runs as root (it changes the box); the recap waits in a spool folder of the data
dir's office folder, owned like that folder, until `comptoir config report` (the unit's
ExecStopPost, as the till's user, with the store's keys) puts it in the outbox: a root process
never opens the till's store.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from appliance.lane import enrolment
from appliance.security import config_bundle

PINNED_KEY = "config-signing.pub"  # in the data dir's office folder
SPOOL = "config-runs"  # ditto: recaps not yet in the outbox
INVENTORY = "inventory/pulled/hosts.yml"  # inside the bundle's provisioning/
# The recap callback (ansible_plugins/comptoir_recap.py), loaded by Ansible from its folder:
# importing it here would need Ansible wherever the CLI runs.
PLUGINS = Path(__file__).parent / "ansible_plugins"
CALLBACK = "comptoir_recap"
MARKER = "comptoir_recap"  # the key of the recap's line
RUN_TIMEOUT = 3600
FETCH_TIMEOUT = 120.0
ROOT = "/"


class PullFailed(Exception):
    """The pull stopped: `outcome` says how (refused, unreachable, failed), the message why."""

    def __init__(self, outcome: str, message: str, version: str = "") -> None:
        super().__init__(message)
        self.outcome, self.message, self.version = outcome, message, version


@dataclass(frozen=True)
class Fetched:
    version: str
    bundle: bytes
    signature: str
    public_key: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def fetch(data_dir: Path) -> Fetched:
    """The bundle as the office serves it to this lane."""
    try:
        found = enrolment.link(data_dir)
        with enrolment.client(found) as http:
            answer = http.get("/v1/config", timeout=FETCH_TIMEOUT)
    except (httpx.HTTPError, OSError, enrolment.EnrolmentError) as exc:
        raise PullFailed("unreachable", f"the office did not answer: {exc}") from None
    body = enrolment.accepted(
        answer,
        lambda status, message: PullFailed(
            "unreachable", f"the office refused (HTTP {status}): {message or ''}".strip()
        ),
    )
    try:
        bundle = base64.b64decode(str(body["bundle"]).encode("ascii"), validate=True)
        return Fetched(str(body["version"]), bundle, str(body["signature"]), str(body["public_key"]))
    except (KeyError, ValueError, binascii.Error, UnicodeEncodeError):
        raise PullFailed("refused", "the office's answer holds no bundle") from None


def _pinned(data_dir: Path) -> Path:
    return data_dir / enrolment.OFFICE_DIR / PINNED_KEY


def check(data_dir: Path, got: Fetched) -> None:
    """Refuses a bundle that the pinned key did not sign (pinning the served key the first
    time), or whose version is not its SHA-256."""
    path = _pinned(data_dir)
    if path.exists():
        pinned = path.read_text(encoding="ascii")
        if pinned.strip() != got.public_key.strip():
            raise PullFailed(
                "refused",
                f"the office's configuration key is not the one pinned in {path}: bundle refused "
                "(if the office's key was really replaced, remove that file to pin the new one)",
                got.version,
            )
    else:
        pinned = got.public_key
    if not config_bundle.verify(pinned, got.bundle, got.signature):
        raise PullFailed("refused", "the bundle's signature is not the office's: bundle refused", got.version)
    if config_bundle.version(got.bundle) != got.version:
        raise PullFailed("refused", "the bundle is not the version the office named: bundle refused", got.version)
    if not path.exists():
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(got.public_key, encoding="ascii")
        tmp.chmod(0o644)
        tmp.replace(path)


def ansible_playbook(given: str | None) -> str:
    found = given or shutil.which("ansible-playbook")
    if not found or not Path(found).exists():
        raise PullFailed("failed", "ansible-playbook is not installed (Debian's ansible-core package)")
    return found


def read_only(path: str) -> bool:
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)


def on_writable_root(command: list[str], root: str) -> list[str]:
    """The command run with `root` writable in a mount namespace of its own, read-only again
    after it. An A/B slot is mounted read-only (image/ab_disk.py); the signed configuration is
    the one thing that changes it. Only this namespace's view of the root turns writable: every
    other process keeps its read-only mount while the playbook runs, the services it restarts
    included."""
    script = 'mount -o remount,rw "$0" || exit 97; "$@"; rc=$?; mount -o remount,ro "$0"; exit $rc'
    return ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, root, *command]


def _recap(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if MARKER in line:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict):
                return data
    return None


def apply(bundle: bytes, playbook: str, version: str) -> dict[str, Any]:
    """Unpacks the bundle in a private folder and runs its site.yml against this box; the
    recap (ok, changed, failed, the tasks that changed)."""
    work = Path(tempfile.mkdtemp(prefix="comptoir-config-"))  # 0700
    try:
        try:
            config_bundle.unpack(bundle, work)
        except config_bundle.BadBundle as exc:
            raise PullFailed("refused", f"the bundle cannot be unpacked: {exc}", version) from None
        provisioning = work / "provisioning"
        if not (provisioning / "site.yml").is_file() or not (provisioning / INVENTORY).is_file():
            raise PullFailed("refused", "the bundle holds no provisioning/site.yml and inventory", version)
        env = {
            **os.environ,
            "ANSIBLE_CONFIG": str(provisioning / "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": CALLBACK,
            "ANSIBLE_CALLBACK_PLUGINS": str(PLUGINS),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
            "ANSIBLE_REMOTE_TEMP": str(work / "tmp"),
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
        }
        command = [playbook, "-i", INVENTORY, "site.yml"]
        if read_only(ROOT):
            command = on_writable_root(command, ROOT)
        try:
            # umask 022: the CLI's 077 is for the store; what the playbook writes (a locale
            # archive, a package's files) is read by others.
            done = subprocess.run(
                command,
                cwd=provisioning,
                env=env,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
                check=False,
                umask=0o022,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PullFailed("failed", f"ansible-playbook did not run: {exc}", version) from None
        recap = _recap(done.stdout)
        if recap is None:
            said = (done.stderr.strip() or done.stdout.strip())[-400:]
            raise PullFailed("failed", f"ansible-playbook exited {done.returncode} with no recap: {said}", version)
        recap["returncode"] = done.returncode
        return recap
    finally:
        shutil.rmtree(work, ignore_errors=True)


def pull(data_dir: Path, playbook: str | None = None, fetcher: Callable[[Path], Fetched] = fetch) -> dict[str, Any]:
    """One pull: what happened, as the event the office gets (and kept in the spool)."""
    started = _now()
    run: dict[str, Any] = {"ok": 0, "changed": 0, "failed": 0, "changed_tasks": [], "message": ""}
    try:
        got = fetcher(data_dir)
        check(data_dir, got)
        recap = apply(got.bundle, ansible_playbook(playbook), got.version)
        failed = int(recap.get("failed", 0)) + int(recap.get("unreachable", 0))
        run |= {
            "outcome": "applied" if failed == 0 and recap["returncode"] == 0 else "failed",
            "bundle_version": got.version,
            "ok": int(recap.get("ok", 0)),
            "changed": int(recap.get("changed", 0)),
            "failed": failed,
            "changed_tasks": [str(t) for t in recap.get("changed_tasks", [])][:200],
            "message": "; ".join(str(t) for t in recap.get("failed_tasks", []))[:1000],
        }
    except PullFailed as exc:
        run |= {"outcome": exc.outcome, "bundle_version": exc.version, "message": exc.message[:1000]}
    run |= {"started": started, "ended": _now()}
    spool(data_dir, run)
    return run


def _spool_dir(data_dir: Path) -> Path:
    return data_dir / enrolment.OFFICE_DIR / SPOOL


def spool(data_dir: Path, run: dict[str, Any]) -> Path:
    folder = _spool_dir(data_dir)
    owner = folder.parent.stat()
    folder.mkdir(mode=0o700, exist_ok=True)
    name = f"{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S%fZ')}.json"
    path = folder / name
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(run, sort_keys=True), encoding="utf-8")
    if os.geteuid() == 0:
        # Root pulls; the till's user puts the recap in the outbox and removes it.
        for p in (folder, tmp):
            os.chown(p, owner.st_uid, owner.st_gid)
    tmp.replace(path)
    return path


def spooled(data_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The recaps waiting, oldest first (an unreadable file is left out and left there)."""
    folder = _spool_dir(data_dir)
    found: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            found.append((path, data))
    return found


def event_kind(run: dict[str, Any]) -> str:
    return "config_applied" if run.get("outcome") == "applied" else "config_failed"
