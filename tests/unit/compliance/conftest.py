"""Synthetic roots built in tmp_path: a few files that look like a Debian root, so each
check type can be tried in milliseconds."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from appliance.security.compliance.checks import run_check
from appliance.security.compliance.model import Outcome
from appliance.security.compliance.target import Target


class Root:
    def __init__(self, path: Path) -> None:
        self.path = path

    def host(self, path: str) -> Path:
        return self.path / path.lstrip("/")

    def write(self, path: str, text: str | bytes, mode: int = 0o644) -> Path:
        target = self.host(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text)
        target.chmod(mode)
        return target

    def link(self, path: str, to: str) -> None:
        target = self.host(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(to, target)

    def mkdir(self, path: str, mode: int = 0o755) -> None:
        self.host(path).mkdir(parents=True, exist_ok=True)
        self.host(path).chmod(mode)

    def packages(self, *names: str, status: str = "install ok installed") -> None:
        text = "".join(f"Package: {n}\nStatus: {status}\nVersion: 1.0\nDescription: x\n multi-line\n\n" for n in names)
        path = self.host("/var/lib/dpkg/status")
        old = path.read_text() if path.exists() else ""
        self.write("/var/lib/dpkg/status", old + text)

    def users(self, *rows: str, shadow: Mapping[str, str] | None = None, groups: str = "") -> None:
        """rows: passwd lines; shadow: user → password field."""
        base = ["root:x:0:0:root:/root:/bin/bash"]
        self.write("/etc/passwd", "\n".join([*base, *rows]) + "\n")
        names = [r.split(":")[0] for r in [*base, *rows]]
        hashes = {"root": "*", **(shadow or {})}
        self.write("/etc/shadow", "".join(f"{n}:{hashes.get(n, '!')}:20000:0:99999:7:::\n" for n in names), 0o640)
        self.write("/etc/group", "root:x:0:\nsudo:x:27:\n" + groups)

    def check(self, spec: Mapping[str, Any], live: bool = False) -> Outcome:
        return run_check(Target.open(self.path, live=live), spec)


@pytest.fixture
def root(tmp_path: Path) -> Root:
    path = tmp_path / "root"
    path.mkdir()
    return Root(path)
