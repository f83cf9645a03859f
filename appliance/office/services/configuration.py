"""Configuration pulled, not pushed (issue 19, point 3): each store's inventory variables kept
at the office, the signed bundle each lane pulls (`GET /v1/config` on the lanes' port), and
the runs the lanes report back through the outbox (`config_applied`, `config_failed`).

Where the playbook comes from: the office's copy of `provisioning/` is, in this order, the
folder `$COMPTOIR_OFFICE_PROVISIONING` names, `provisioning/` in the office's data dir (what
an operator puts there), or the source checkout's `provisioning/` next to the package (the
bench). Its sibling `policies/`, when there is one, goes in too (the compliance role copies
it to the box). The example inventory never goes: it names bench hosts reached over SSH; the
bundle carries its own, one host reached with `ansible_connection=local`.

The bundle is signed with the office's configuration key (Ed25519, `config-signing.key` in
the office's data dir, mode 0600, made at `office init` or at the first bundle served by an
office made before). A box pins the public key the first time, over its mutual TLS link, and
refuses a bundle signed by any other afterwards.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from appliance.app.domain.errors import Forbidden, Invalid, NotFound
from appliance.office.services import audit_log
from appliance.office.services.found import Found, Lane
from appliance.office.services.office import CONFIG_KEY, Office
from appliance.office.store import config_runs, config_vars, stores
from appliance.office.store import lanes as lanes_store
from appliance.office.store.db import Connection
from appliance.security import config_bundle, pki

SIGNING_KEY = CONFIG_KEY
SOURCE_ENV = "COMPTOIR_OFFICE_PROVISIONING"
INVENTORY = "provisioning/inventory/pulled/hosts.yml"  # the bundle's own inventory
GROUP_VARS = "provisioning/inventory/pulled/group_vars/kiosks.yml"
IMAGE_VARS = Path("inventory/image/group_vars/kiosks.yml")  # what the box was built with
KINDS = frozenset({"config_applied", "config_failed"})
OUTCOMES = frozenset({"applied", "failed", "refused", "unreachable"})
MAX_VARS = 256 * 1024
_NAME = re.compile(r"[a-z][a-z0-9_]{0,79}")
_SKIPPED_DIRS = {"__pycache__", ".git", "inventory"}
# On the shop floor the software comes from the signed updates (point 1), never from a wheel
# carried in the configuration.
PULLED_DEFAULTS: dict[str, Any] = {"pos_app_install": False}


# -- where the playbook comes from, and the variables it knows ------------------------------


def source(office: Office) -> Path:
    named = os.environ.get(SOURCE_ENV)
    for candidate in (
        Path(named) if named else None,
        office.data_dir / "provisioning",
        Path(__file__).resolve().parents[3] / "provisioning",
    ):
        if candidate is not None and (candidate / "site.yml").is_file():
            return candidate
    raise Invalid(
        f"the office has no playbook to serve: put provisioning/ in {office.data_dir} or name it in ${SOURCE_ENV}",
        "no_playbook",
    )


def _yaml_keys(path: Path) -> set[str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return set()
    return {str(k) for k in data} if isinstance(data, dict) else set()


def known_names(provisioning: Path) -> set[str]:
    """The variables a store may set: the roles' defaults and the example inventory's
    variables (a store's and the fleet's)."""
    names: set[str] = set()
    for path in sorted(provisioning.glob("roles/*/defaults/main.yml")):
        names |= _yaml_keys(path)
    for path in sorted(provisioning.glob("inventory/*/group_vars/*.yml")):
        names |= _yaml_keys(path)
    return {n for n in names if not n.startswith("ansible_")}


def parse_vars(text: str, known: set[str]) -> dict[str, Any]:
    """A store's variables file: a YAML mapping of known names."""
    if len(text) > MAX_VARS:
        raise Invalid(f"the variables file is over {MAX_VARS} characters", "invalid_vars")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Invalid(f"the variables file is not YAML: {str(exc).splitlines()[0]}", "invalid_vars") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Invalid("the variables file must be a YAML mapping (name: value)", "invalid_vars")
    unknown = sorted(str(k) for k in data if not isinstance(k, str) or k not in known)
    if unknown:
        raise Invalid(
            f"unknown variable{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
            "(a store sets the roles' variables or the example inventory's)",
            "invalid_vars",
        )
    return dict(data)


def set_vars(office: Office, store: str, till: str, values: dict[str, Any], by: str) -> dict[str, Any]:
    """Keeps a store's variables (or one till's, `till` not empty), replacing what was set."""
    if till:
        try:
            pki.check_name("till", till)
        except pki.CertificateError as exc:
            raise Invalid(str(exc), "invalid_till") from None
    with office.connection() as conn:
        with conn.transaction():
            if store not in stores.all_stores(conn):
                raise NotFound(f"no store named {store!r} at this office", "unknown_store")
            config_vars.put(conn, store, till, values, office.now(), by)
            audit_log.record(
                office,
                conn,
                actor=by,
                action="config_vars_set",
                object=f"store:{store}" + (f"/{till}" if till else ""),
                details={"names": sorted(values)},
            )
        audit_log.anchor(office, conn)
    return {"store": store, "till": till, "names": sorted(values)}


def listing(office: Office, scope: str | None = None) -> list[dict[str, Any]]:
    """The variables kept, every store's or (a store's staff) only `scope`'s."""
    with office.connection() as conn:
        rows = config_vars.listing(conn)
    return [r for r in rows if scope is None or r["store"] == scope]


# -- the bundle ---------------------------------------------------------------------------


def signing_key_path(data_dir: Path) -> Path:
    return data_dir / SIGNING_KEY


def make_signing_key(data_dir: Path) -> None:
    pki.write_private(signing_key_path(data_dir), config_bundle.key_pem(config_bundle.new_key()))


def signing_key(data_dir: Path) -> Any:
    path = signing_key_path(data_dir)
    if not path.exists():
        try:
            make_signing_key(data_dir)
        except FileExistsError:
            pass  # made by another request in between
    try:
        return config_bundle.load_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise Invalid(f"the office's configuration key {path} cannot be read: {exc}", "no_signing_key") from None


def _tree(folder: Path, prefix: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or path.is_symlink() or path.suffix in (".retry", ".pyc"):
            continue
        if _SKIPPED_DIRS & set(relative.parts[:-1]) or relative.parts[0].startswith("."):
            continue
        files[f"{prefix}/{relative.as_posix()}"] = path.read_bytes()
    return files


def host_name(store: str, till: str) -> str:
    return f"{store}-{till}".lower()


@dataclass(frozen=True)
class Bundle:
    data: bytes
    version: str


def bundle(office: Office, conn: Connection, store: str, till: str) -> Bundle:
    """The lane's bundle as the office would serve it now."""
    provisioning = source(office)
    files = _tree(provisioning, "provisioning")
    policies = provisioning.parent / "policies"
    if policies.is_dir():
        files |= _tree(policies, "policies")
    image_vars = provisioning / IMAGE_VARS
    base: dict[str, Any] = {}
    if image_vars.is_file():
        loaded = yaml.safe_load(image_vars.read_text(encoding="utf-8"))
        base = dict(loaded) if isinstance(loaded, dict) else {}
    store_vars, till_vars = config_vars.of_lane(conn, store, till)
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "/usr/bin/python3",
        **store_vars,
        **till_vars,
    }
    inventory = {"all": {"children": {"kiosks": {"hosts": {host_name(store, till): host}}}}}
    files[GROUP_VARS] = yaml.safe_dump(base | PULLED_DEFAULTS, sort_keys=True).encode("utf-8")
    files[INVENTORY] = yaml.safe_dump(inventory, sort_keys=True).encode("utf-8")
    data = config_bundle.make(files)
    return Bundle(data, config_bundle.version(data))


def serve(office: Office, fingerprint: str) -> tuple[Bundle, str, str]:
    """The calling lane's bundle, its signature and the office's public key."""
    key = signing_key(office.data_dir)
    with office.connection() as conn:
        with conn.transaction():
            lane = lanes_store.touch(conn, fingerprint, office.now())
            if lane is None:
                raise Forbidden("this certificate is not a lane's current one: enrol the till again", "unknown_lane")
            made = bundle(office, conn, str(lane["store"]), str(lane["till"]))
    return made, config_bundle.sign(key, made.data), config_bundle.public_pem(key)


# -- the runs the lanes report ------------------------------------------------------------


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def project(conn: Connection, lane: Lane, event: dict[str, Any]) -> list[Found]:
    """A run as the lane reported it; one of the wrong shape is left out and raised."""
    body, seq = event["body"], int(event["seq"])
    counts = {k: _count(body.get(k, 0)) for k in ("ok", "changed", "failed")}
    tasks = body.get("changed_tasks", [])
    outcome = body.get("outcome", "applied" if event["kind"] == "config_applied" else "failed")
    if (
        any(v is None for v in counts.values())
        or not isinstance(tasks, list)
        or not all(isinstance(t, str) for t in tasks)
        or outcome not in OUTCOMES
    ):
        return [Found("bad_config_run", seq, {"kind": event["kind"]})]
    run = {
        "outcome": outcome,
        "bundle_version": str(body.get("bundle_version") or "")[:64],
        **counts,
        "changed_tasks": [t[:200] for t in tasks[:200]],
        "started": str(body.get("started") or "")[:40],
        "ended": str(body.get("ended") or "")[:40],
        "message": str(body.get("message") or "")[:1000],
    }
    config_runs.add(conn, lane.store, lane.till, seq, run)
    return []


def fleet_states(office: Office, lanes: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Each lane's last configuration run against the bundle the office serves it now; a run
    that changed something on a bundle the box had applied already is drift."""
    with office.connection() as conn:
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in config_runs.last_two(conn):
            runs.setdefault((str(r["store"]), str(r["till"])), []).append(r)
        try:
            served = {key: bundle(office, conn, *key).version for key in lanes}
        except Invalid:
            served = {}
    states: dict[tuple[str, str], dict[str, Any]] = {}
    for key in lanes:
        mine = runs.get(key, [])
        now_served = served.get(key)
        if not mine:
            states[key] = {"state": "never pulled", "served_version": now_served, "last_run": None}
            continue
        last = mine[0]
        before = mine[1] if len(mine) > 1 else None
        version = str(last["bundle_version"])
        if last["outcome"] != "applied":
            state = str(last["outcome"])
        elif before is not None and str(before["bundle_version"]) == version and int(last["changed"]) > 0:
            state = "drift"
        elif now_served is not None and version != now_served:
            state = "behind"
        else:
            state = "applied"
        states[key] = {
            "state": state,
            "served_version": now_served,
            "last_run": {
                "seq": int(last["seq"]),
                "outcome": str(last["outcome"]),
                "bundle_version": version,
                "ok": int(last["ok"]),
                "changed": int(last["changed"]),
                "failed": int(last["failed"]),
                "changed_tasks": list(last["changed_tasks"]),
                "started": str(last["started"]),
                "ended": str(last["ended"]),
                "message": str(last["message"]),
            },
        }
    return states
