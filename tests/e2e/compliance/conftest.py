"""Real roots for the compliance scanner: the provisioning tests' bare debootstrap root
(cached in build/roots) and the same root after site.yml (their session fixture, shared
when both suites run together). The scanner only reads them; the undo cases work on a
`cp -a` copy.

COMPTOIR_PROVISIONED_ROOT=DIR skips provisioning and scans an already provisioned root
(a development shortcut: it must come from the current roles to mean anything).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.security.compliance.engine import ScanReport, scan
from appliance.security.compliance.policy import Policy, load_policies
from appliance.security.compliance.target import Target
from tests.e2e.provisioning.helpers import ROOTS, remove_root
from tests.e2e.provisioning.roots import Provisioned

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def policies() -> list[Policy]:
    return load_policies([REPO / "policies"])


@pytest.fixture(scope="session")
def hardened_root(request: pytest.FixtureRequest) -> Path:
    """A root after site.yml: COMPTOIR_PROVISIONED_ROOT, or the provisioning fixture's."""
    given = os.environ.get("COMPTOIR_PROVISIONED_ROOT")
    if given:
        return Path(given).resolve()
    done: Provisioned = request.getfixturevalue("provisioned")
    assert done.first.returncode == 0, done.first.tail()
    return done.root


@pytest.fixture(scope="session")
def hardened_copy(hardened_root: Path) -> Iterator[Path]:
    """A `cp -a` copy of the provisioned root that tests may change (and put back)."""
    work = ROOTS / f"compliance-undo-{os.getpid()}"
    remove_root(work)
    work.mkdir(parents=True)
    try:
        subprocess.run(["cp", "-a", str(hardened_root), str(work / "root")], check=True, timeout=600)
        yield work / "root"
    finally:
        remove_root(work)


def run_scan(root: Path, policies: list[Policy]) -> ScanReport:
    return scan(Target.open(root), policies)
