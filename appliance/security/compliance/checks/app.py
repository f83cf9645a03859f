"""The POS app as installed in the target: its store, its password and lockout rules, and
card data at rest. The app's source is read (parsed with `ast`), never imported or run:
the installed version in the target is what counts, not the scanner's own."""

from __future__ import annotations

import ast
import operator
import stat
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from appliance.security.compliance.checks.base import PATH, as_list, check
from appliance.security.compliance.model import Evidence, Outcome, Status
from appliance.security.compliance.target import Target, Unreadable

APP = "/opt/comptoir/lib/python3*/site-packages/appliance"
DATA_DIR = "/var/lib/comptoir"
SQLITE_MAGIC = b"SQLite format 3\x00"
_APP_PARAMS = {"app": PATH, "data_dir": PATH}
_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}


def literal(node: ast.AST) -> Any:
    """The value of a constant expression (19 * 1024, -1, "x"); ValueError otherwise."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -literal(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](literal(node.left), literal(node.right))
    raise ValueError(f"not a constant: {ast.dump(node)[:80]}")


def app_dir(target: Target, pattern: str) -> str | None:
    found = target.glob(pattern)
    return found[-1] if found else None


def _module(target: Target, path: str) -> ast.Module:
    return target.memo(f"ast:{path}", lambda: ast.parse(target.read_text(path), filename=path))


def _constants(tree: ast.Module) -> dict[str, tuple[ast.AST, int]]:
    """Module-level NAME = value assignments."""
    found: dict[str, tuple[ast.AST, int]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = (node.value, node.lineno)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            found[node.target.id] = (node.value, node.lineno)
    return found


def _not_installed(pattern: str, expected: str) -> Outcome:
    return Outcome.failed(pattern, expected, "Comptoir is not installed there (pos_app role)")


# -- store ---------------------------------------------------------------------------------


@check("app_store_encrypted", {"data_dir": PATH}, [])
def app_store_encrypted(target: Target, p: Mapping[str, Any]) -> Outcome:
    """No file in the app's data dir is a plain SQLite database (SQLCipher pages are random)."""
    data_dir = p.get("data_dir", DATA_DIR)
    expected = "no file starting with 'SQLite format 3'"
    if not target.exists(f"{data_dir}/store.db"):
        return Outcome.not_applicable(data_dir, expected, "no store yet (the app makes it at first start)")
    outcome = Outcome(Status.PASS)
    for name in target.listdir(data_dir):
        path = f"{data_dir}/{name}"
        try:
            head = _head(target, path)
        except Unreadable as exc:
            outcome.status = Status.ERROR if outcome.status is Status.PASS else outcome.status
            outcome.evidence.append(Evidence(path, expected, f"error: {exc}", False))
            continue
        if head is None:
            continue
        plain = head == SQLITE_MAGIC
        outcome.add(path, expected, "plain SQLite header" if plain else "no SQLite header", not plain)
    return outcome


def _head(target: Target, path: str) -> bytes | None:
    """The first 16 bytes of a regular file, None for folders and other kinds."""
    if not stat.S_ISREG(target.stat(path).st_mode):
        return None
    try:
        with open(target.resolve(path), "rb") as handle:
            return handle.read(16)
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from None


# -- passwords -----------------------------------------------------------------------------

ARGON2_FIELDS = ("time_cost", "memory_kib", "parallelism")


def _argon2_defaults(target: Target, app: str) -> dict[str, tuple[int, str]]:
    """Defaults the app uses when its config says nothing: config.py's argon.get(name, default)
    calls win over the Argon2Params dataclass defaults in security/passwords.py."""
    values: dict[str, tuple[int, str]] = {}
    passwords = f"{app}/security/passwords.py"
    for node in ast.walk(_module(target, passwords)):
        if isinstance(node, ast.ClassDef) and node.name == "Argon2Params":
            for name, (value, line) in _constants(ast.Module(body=node.body, type_ignores=[])).items():
                if name in ARGON2_FIELDS:
                    values[name] = (int(literal(value)), f"{passwords}:{line}")
    config = f"{app}/config.py"
    if target.exists(config):
        for node in ast.walk(_module(target, config)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "argon"
                and len(node.args) == 2
            ):
                name = literal(node.args[0])
                if name in ARGON2_FIELDS:
                    values[name] = (int(literal(node.args[1])), f"{config}:{node.lineno}")
    return values


@check(
    "app_argon2",
    {**_APP_PARAMS, **{name: {"type": "integer", "minimum": 1} for name in ARGON2_FIELDS}},
    [],
)
def app_argon2(target: Target, p: Mapping[str, Any]) -> Outcome:
    """Argon2id parameters in effect (app defaults, then the data dir's comptoir.toml) at or above the floor."""
    floor = {name: int(p.get(name, default)) for name, default in zip(ARGON2_FIELDS, (2, 19456, 1), strict=True)}
    expected = ", ".join(f"{k} ≥ {v}" for k, v in floor.items())
    app = app_dir(target, p.get("app", APP))
    if app is None:
        return _not_installed(p.get("app", APP), expected)
    values = _argon2_defaults(target, app)
    toml_path = f"{p.get('data_dir', DATA_DIR)}/comptoir.toml"
    text = target.read_optional(toml_path)
    if text is not None:
        try:
            section = tomllib.loads(text).get("comptoir", {}).get("argon2", {})
        except tomllib.TOMLDecodeError as exc:
            return Outcome.error(toml_path, expected, f"not valid TOML: {exc}")
        for name in ARGON2_FIELDS:
            if name in section:
                values[name] = (int(section[name]), toml_path)
    outcome = Outcome(Status.PASS)
    for name in ARGON2_FIELDS:
        if name not in values:
            outcome.add(app, f"{name} ≥ {floor[name]}", "not found in the app", False)
            continue
        value, where = values[name]
        outcome.add(where, f"{name} ≥ {floor[name]}", f"{name} = {value}", value >= floor[name])
    return outcome


def _timedelta_minutes(node: ast.AST) -> float:
    """Minutes of a `dt.timedelta(minutes=30)` / `timedelta(hours=1)` expression."""
    if not isinstance(node, ast.Call):
        raise ValueError("not a timedelta(...) call")
    scale = {"weeks": 10080, "days": 1440, "hours": 60, "minutes": 1, "seconds": 1 / 60}
    total = 0.0
    for keyword in node.keywords:
        if keyword.arg not in scale:
            raise ValueError(f"unexpected timedelta argument {keyword.arg}")
        total += float(literal(keyword.value)) * scale[keyword.arg]
    return total


@check(
    "app_auth_rules",
    {
        **_APP_PARAMS,
        "max_failures": {"type": "integer", "minimum": 1},
        "min_lockout_minutes": {"type": "integer", "minimum": 1},
        "min_password_length": {"type": "integer", "minimum": 1},
        "min_password_history": {"type": "integer", "minimum": 1},
    },
    [],
)
def app_auth_rules(target: Target, p: Mapping[str, Any]) -> Outcome:
    """The app's lockout (tries, minutes) and password rules (length, history) as installed."""
    app_pattern = p.get("app", APP)
    wanted = [
        key
        for key in ("max_failures", "min_lockout_minutes", "min_password_length", "min_password_history")
        if key in p
    ]
    app = app_dir(target, app_pattern)
    if app is None:
        return _not_installed(app_pattern, ", ".join(wanted))
    auth = f"{app}/app/services/auth.py"
    passwords = f"{app}/security/passwords.py"
    outcome = Outcome(Status.PASS)
    rules: list[tuple[str, str, str, Callable[[ast.AST], float], Callable[[float], bool], str]] = [
        ("max_failures", auth, "MAX_FAILURES", literal, lambda v: v <= p["max_failures"], "≤"),
        ("min_lockout_minutes", auth, "LOCKOUT", _timedelta_minutes, lambda v: v >= p["min_lockout_minutes"], "≥"),
        ("min_password_length", passwords, "MIN_LENGTH", literal, lambda v: v >= p["min_password_length"], "≥"),
        ("min_password_history", auth, "PASSWORD_HISTORY", literal, lambda v: v >= p["min_password_history"], "≥"),
    ]
    for key, path, name, evaluate, ok, sign in rules:
        if key not in p:
            continue
        expected = f"{name} {sign} {p[key]}"
        constants = _constants(_module(target, path))
        if name not in constants:
            outcome.add(path, expected, f"{name} not found", False)
            continue
        node, line = constants[name]
        value = evaluate(node)
        good = ok(value)
        shown = f"{value:g} minutes" if key == "min_lockout_minutes" else f"{value}"
        outcome.add(f"{path}:{line}", expected, f"{name} = {shown}", good)
    return outcome


# -- card data -----------------------------------------------------------------------------


@check("app_pan_scan", {"paths": {"type": "array", "items": PATH, "minItems": 1}}, ["paths"])
def app_pan_scan(target: Target, p: Mapping[str, Any]) -> Outcome:
    """pan-scan finds no card number or track data in the given folders (data dir, logs…)."""
    from appliance.security.pan_scan import scan_paths

    expected = "no PAN or track data (pan-scan)"
    roots = [path for path in as_list(p["paths"]) if target.exists(path)]
    if not roots:
        return Outcome.passed(", ".join(p["paths"]), expected, "none of these folders exists")
    host = {str(target.resolve(path)): path for path in roots}
    report = scan_paths([target.resolve(path) for path in roots])
    prefix = str(target.root).rstrip("/")

    def shown(where: str) -> str:
        return where[len(prefix) :] if prefix and where.startswith(prefix + "/") else where

    summary = f"{report.files} files, {report.bytes / 1e6:.1f} MB in {report.seconds:.2f} s"
    if report.findings:
        outcome = Outcome(Status.FAIL)
        for finding in report.findings[:20]:
            found = f"{finding.kind} {finding.masked}" + (f" ({finding.brand})" if finding.brand else "")
            outcome.evidence.append(Evidence(f"{shown(finding.where)}:{finding.offset}", expected, found, False))
        if len(report.findings) > 20:
            outcome.evidence.append(
                Evidence(", ".join(host.values()), expected, f"{len(report.findings) - 20} more", False)
            )
        return outcome
    if report.unreadable:
        outcome = Outcome(Status.ERROR)
        for where, why in report.unreadable[:20]:
            outcome.evidence.append(Evidence(shown(where), expected, f"error: unreadable: {why}", False))
        return outcome
    return Outcome.passed(", ".join(host.values()), expected, f"no card data; {summary}")
