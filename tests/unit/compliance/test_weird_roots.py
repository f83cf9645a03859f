"""Every shipped control on roots no Debian would ever look like: the scan finishes, and
what cannot be read is an `error` with a reason, never a traceback."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.security.compliance.engine import scan
from appliance.security.compliance.model import Status
from appliance.security.compliance.policy import load_policies
from appliance.security.compliance.target import Target

from .conftest import Root

REPO = Path(__file__).resolve().parents[3]
POLICIES = load_policies([REPO / "policies"])


def paths_in(check: Any) -> Iterator[str]:
    if isinstance(check, dict):
        for key, value in check.items():
            if key in ("path", "paths", "data_dir"):
                yield from ([value] if isinstance(value, str) else value)
            else:
                yield from paths_in(value)
    elif isinstance(check, list):
        for item in check:
            yield from paths_in(item)


ALL_PATHS = sorted({p.replace("*", "x") for pol in POLICIES for c in pol.controls for p in paths_in(c.check)})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_garbage_everywhere(root: Root, seed: int) -> None:
    rng = random.Random(seed)
    for path in ALL_PATHS:
        kind = rng.choice(["bytes", "text", "dir", "loop", "dangling", "fifo"])
        host = root.host(path)
        try:
            host.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue  # a parent is already something odd: fine, it stays odd
        if host.exists() or host.is_symlink():
            continue
        if kind == "bytes":
            host.write_bytes(rng.randbytes(rng.randint(0, 3000)))
        elif kind == "text":
            host.write_text("".join(rng.choice('[]{};=#:\n \tabc01-"') for _ in range(500)))
        elif kind == "dir":
            host.mkdir()
        elif kind == "loop":
            os.symlink(path, host)
        elif kind == "dangling":
            os.symlink("/nowhere/at/all", host)
        else:
            os.mkfifo(host)
    report = scan(Target.open(root.path), POLICIES)
    assert len(report.results) == sum(len(p.controls) for p in POLICIES)
    for result in report.results:
        assert result.evidence, result.control.id
        if result.status is Status.ERROR:
            assert any(e.found.startswith("error: ") for e in result.evidence), result.evidence


def test_an_empty_folder_is_a_root_too(root: Root) -> None:
    report = scan(Target.open(root.path), POLICIES)
    assert report.exit_code() == 1
    errors = [r.control.id for r in report.results if r.status is Status.ERROR]
    # Only what needs a database that is not there at all (dpkg status, passwd) errors.
    assert errors and all(r.evidence for r in report.results)
