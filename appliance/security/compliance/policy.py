"""Policy files: YAML read with line numbers, validated against a JSON schema and then
each check against its type's schema. A bad file is refused with file, line and reason."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from appliance.security.compliance.checks import REGISTRY
from appliance.security.compliance.model import Control, Reference, Remediation
from appliance.security.compliance.sources import SOURCES, known

ROLES = [
    "kiosk_base",
    "kiosk_session",
    "pos_app",
    "firewall",
    "updates",
    "no_remote_access",
    "accounts",
    "usb",
    "hardening",
    "audit",
    "compliance",
]
COMPOSITE = ("all_of", "any_of")

CONTROL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "title", "rationale", "severity", "references", "check", "remediation"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Z][A-Z0-9]*(-[A-Z0-9.]+)+$"},
        "title": {"type": "string", "minLength": 5},
        "rationale": {"type": "string", "minLength": 10},
        "severity": {"enum": ["low", "medium", "high", "critical"]},
        "references": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["source", "item"],
                "additionalProperties": False,
                "properties": {"source": {"enum": list(SOURCES)}, "item": {"type": "string", "minLength": 1}},
            },
        },
        "check": {"type": "object", "required": ["type"], "properties": {"type": {"enum": sorted(REGISTRY)}}},
        "remediation": {
            "type": "object",
            "required": ["role", "tag", "text"],
            "additionalProperties": False,
            "properties": {
                "role": {"enum": ROLES},
                "tag": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                "text": {"type": "string", "minLength": 10},
            },
        },
    },
}
POLICY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["policy", "controls"],
    "additionalProperties": False,
    "properties": {
        "policy": {
            "type": "object",
            "required": ["id", "title", "source"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                "title": {"type": "string"},
                "source": {"type": "string"},
                "url": {"type": "string"},
                "version": {"type": "string"},
                "description": {"type": "string"},
            },
        },
        "controls": {"type": "array", "minItems": 1, "items": CONTROL_SCHEMA},
    },
}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class PolicyError(Exception):
    """One or more problems in policy files; str() is the first, `problems` has them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line))
        extra = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{self.problems[0]}{extra}")


# -- YAML with line numbers ----------------------------------------------------------------


class MarkedDict(dict[Any, Any]):
    line: int = 0
    key_lines: dict[Any, int]


class MarkedList(list[Any]):
    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    out = MarkedDict()
    out.line, out.key_lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    out = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    out.line, out.item_lines = node.start_mark.line + 1, [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
# Dates stay text: a waiver's expiry is parsed by its own rule, and a policy has no dates.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path) -> Any:
    """The document with line marks; PolicyError for unreadable files and YAML errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([Problem(str(path), 0, f"cannot read: {getattr(exc, 'strerror', None) or exc}")]) from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise PolicyError([Problem(str(path), line, f"YAML: {exc.problem or exc.context}")]) from None
    except yaml.YAMLError as exc:
        raise PolicyError([Problem(str(path), 0, f"YAML: {exc}")]) from None


def line_of(document: Any, path: Iterable[Any]) -> int:
    """The line of the deepest node of `path` (keys and indexes) that carries a mark."""
    line = getattr(document, "line", 0)
    node = document
    for step in path:
        if isinstance(node, MarkedDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, MarkedList) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


def _where(path: Iterable[Any]) -> str:
    shown = ""
    for step in path:
        shown += f"[{step}]" if isinstance(step, int) else (f".{step}" if shown else str(step))
    return shown or "(top)"


def _reason(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        return f"unknown key ({error.message.split('(')[-1].rstrip(')')})"
    if error.validator == "enum":
        allowed = error.validator_value if isinstance(error.validator_value, list) else []
        return f"{error.instance!r} is not one of {', '.join(str(v) for v in allowed)}"
    return error.message


def schema_problems(file: str, document: Any, schema: dict[str, Any], prefix: list[Any]) -> list[Problem]:
    """What breaks the JSON schema in the part of a loaded YAML document at `prefix`, each
    problem with its line in `file` (policies here, waivers beside them)."""
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    problems = []
    root = _descend(document, prefix)
    for error in validator.iter_errors(root):
        full = [*prefix, *error.absolute_path]
        problems.append(Problem(file, line_of(document, full), f"{_where(full)}: {_reason(error)}"))
    return problems


def _descend(document: Any, path: list[Any]) -> Any:
    node = document
    for step in path:
        node = node[step]
    return node


def _check_problems(file: str, document: Any, path: list[Any]) -> list[Problem]:
    spec = _descend(document, path)
    if not isinstance(spec, dict) or spec.get("type") not in REGISTRY:
        return []  # the control schema reports the type itself
    problems = schema_problems(file, document, REGISTRY[spec["type"]].schema, path)
    if spec["type"] in COMPOSITE and isinstance(spec.get("checks"), list):
        for index, child in enumerate(spec["checks"]):
            if not isinstance(child, dict) or child.get("type") not in REGISTRY:
                shown = child.get("type") if isinstance(child, dict) else child
                line = line_of(document, [*path, "checks", index])
                problems.append(
                    Problem(file, line, f"{_where([*path, 'checks', index])}: unknown check type {shown!r}")
                )
                continue
            problems += _check_problems(file, document, [*path, "checks", index])
    return problems


# -- policies ------------------------------------------------------------------------------


@dataclass
class Policy:
    id: str
    title: str
    source: str
    file: str
    controls: list[Control] = field(default_factory=list)


def load_policy(path: Path) -> Policy:
    file = str(path)
    document = load_yaml(path)
    problems = schema_problems(file, document, POLICY_SCHEMA, [])
    if problems:
        raise PolicyError(problems)
    for index, raw in enumerate(document["controls"]):
        problems += _check_problems(file, document, ["controls", index, "check"])
        for r_index, ref in enumerate(raw["references"]):
            if not known(ref["source"], ref["item"]):
                line = line_of(document, ["controls", index, "references", r_index])
                problems.append(Problem(file, line, f"{raw['id']}: {ref['source']} has no item {ref['item']!r}"))
    if problems:
        raise PolicyError(problems)
    meta = document["policy"]
    policy = Policy(id=meta["id"], title=meta["title"], source=meta["source"], file=file)
    for index, raw in enumerate(document["controls"]):
        policy.controls.append(
            Control(
                id=raw["id"],
                title=raw["title"],
                rationale=raw["rationale"].strip(),
                severity=raw["severity"],
                references=tuple(Reference(r["source"], str(r["item"])) for r in raw["references"]),
                check=_plain(raw["check"]),
                remediation=Remediation(**raw["remediation"]),
                policy=policy.id,
                file=file,
                line=line_of(document, ["controls", index]),
            )
        )
    return policy


def _plain(value: Any) -> Any:
    """Marked containers back to plain dicts and lists (for JSON and for equality)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def policy_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, and *.yaml/*.yml files of folders named (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            found.append(path)
    return found


def load_policies(paths: Iterable[Path]) -> list[Policy]:
    """Every policy, all problems of all files at once; control ids unique over all files."""
    policies: list[Policy] = []
    problems: list[Problem] = []
    files = policy_files(paths)
    if not files:
        raise PolicyError([Problem(", ".join(map(str, paths)) or "(none)", 0, "no policy file found")])
    for file in files:
        try:
            policies.append(load_policy(file))
        except PolicyError as exc:
            problems += exc.problems
    seen: dict[str, Control] = {}
    for policy in policies:
        for control in policy.controls:
            if control.id in seen:
                first = seen[control.id]
                problems.append(
                    Problem(
                        control.file,
                        control.line,
                        f"duplicate control id {control.id} (first at {first.file}:{first.line})",
                    )
                )
            seen.setdefault(control.id, control)
    if problems:
        raise PolicyError(problems)
    return policies


def default_policy_paths() -> list[Path]:
    """$COMPTOIR_POLICIES, else the checkout's policies/, else /etc/comptoir/policies."""
    env = os.environ.get("COMPTOIR_POLICIES")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    checkout = Path(__file__).resolve().parents[3] / "policies"
    if checkout.is_dir():
        return [checkout]
    return [Path("/etc/comptoir/policies")]
