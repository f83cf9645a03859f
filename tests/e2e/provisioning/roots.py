"""Fixtures that build a Debian 12 root and provision it with site.yml. They are registered
once, in tests/e2e/conftest.py, for the provisioning and compliance suites alike: imported into
a conftest of each, pytest held two session fixtures and provisioned the root twice (165 s).

The bare root is built once with debootstrap and cached in build/roots/ (git
ignores build/). Each session copies it, applies site.yml through the chroot
connection and hands the provisioned root to the tests. Nothing is mounted
into the root and no service is started there; the root is removed at the end.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from image.build import share_debs

from .helpers import BUILD, REPO, ROOTS, Run, remove_root, run_playbook

SUITE = "bookworm"
MIRROR = os.environ.get("COMPTOIR_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SECURITY_MIRROR = os.environ.get("COMPTOIR_DEBIAN_SECURITY_MIRROR", "http://deb.debian.org/debian-security")
BASE_ROOT = ROOTS / f"{SUITE}-minbase"
APT_ARCHIVES = ROOTS / "apt-archives"
WHEELHOUSE = BUILD / "wheelhouse"

# Addresses of the network the firewall test builds in namespaces (see
# test_firewall_netns.py). The inventory's allow-list names them.
GATEWAY = "10.250.0.1"
HEAD_OFFICE = "10.250.0.3"
CLAMAV_MIRROR = f"http://{GATEWAY}/clamav"
USB_DEVICES = [
    {"name": "receipt printer", "vendor_id": "04b8", "product_id": "0202"},
    {"name": "barcode scanner", "vendor_id": "0c2e", "product_id": "0b61"},
]


def _require_tools() -> None:
    if os.geteuid() != 0:
        pytest.skip("building and provisioning a root needs root")
    for tool in ("debootstrap", "chroot", "ip", "nft"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing: run `make system-deps`")


def build_base_root(dest: Path) -> None:
    """debootstrap a minbase bookworm root with the security repo and a
    policy-rc.d that keeps package installs from starting services."""
    tmp = dest.with_name(dest.name + ".tmp")
    remove_root(tmp)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["debootstrap", "--variant=minbase", SUITE, str(tmp), MIRROR],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=900,
    )
    with open(tmp / "etc/apt/sources.list", "a") as sources:
        sources.write(f"deb {SECURITY_MIRROR} {SUITE}-security main\n")
    policy = tmp / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\n# no service starts while this root is built\nexit 101\n")
    policy.chmod(0o755)
    tmp.rename(dest)


@pytest.fixture(scope="session")
def base_root() -> Path:
    _require_tools()
    if not (BASE_ROOT / "usr/sbin/policy-rc.d").exists():
        remove_root(BASE_ROOT)
        build_base_root(BASE_ROOT)
    return BASE_ROOT


@dataclass
class Wheels:
    app: Path
    deps: Path


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    """The Comptoir wheel (built from this tree every session) and a wheelhouse of
    its pinned dependencies plus pywebview (cached by the lock file's hash)."""
    runtime = REPO / "requirements/runtime.txt"
    with open(REPO / "pyproject.toml", "rb") as f:
        extras = tomllib.load(f)["project"].get("optional-dependencies", {})
    window = list(extras.get("window", []))
    key = hashlib.sha256(runtime.read_bytes() + "".join(window).encode()).hexdigest()[:16]
    deps = WHEELHOUSE / f"deps-{key}"
    if not deps.exists():
        tmp = deps.with_name(deps.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(tmp), "-r", str(runtime), *window],
            check=True,
            timeout=600,
        )
        tmp.rename(deps)
    app_dir = tmp_path_factory.mktemp("app-wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(app_dir), str(REPO)],
        check=True,
        timeout=300,
    )
    (app,) = app_dir.glob("comptoir-*.whl")
    return Wheels(app=app, deps=deps)


def write_inventory(path: Path, root: Path, wheels: Wheels) -> None:
    """A one-host inventory: the root, reached with the chroot connection."""
    devices = "".join(
        f'      - {{name: "{d["name"]}", vendor_id: "{d["vendor_id"]}", product_id: "{d["product_id"]}"}}\n'
        for d in USB_DEVICES
    )
    path.write_text(
        f"""kiosks:
  hosts:
    kiosk-under-test:
      ansible_host: {root}
      ansible_connection: community.general.chroot
      ansible_python_interpreter: /usr/bin/python3
  vars:
    kiosk_base_hostname: kiosk-under-test
    kiosk_base_ntp_servers: [{GATEWAY}]
    pos_app_wheel: {wheels.app}
    pos_app_wheelhouse: {wheels.deps}
    audit_clamav_mirror: {CLAMAV_MIRROR}
    usb_allowed_devices:
{devices}    pos_app_usb_devices:
{devices}    firewall_allowed_destinations:
      - {{name: payment gateway, address: {GATEWAY}, protocol: tcp, ports: [443]}}
      - {{name: dns, address: {GATEWAY}, protocol: udp, ports: [53]}}
      - {{name: ntp, address: {GATEWAY}, protocol: udp, ports: [123]}}
      - {{name: head office, address: {HEAD_OFFICE}, protocol: tcp, ports: [8443]}}
"""
    )


@dataclass
class Provisioned:
    root: Path
    inventory: Path
    first: Run


@pytest.fixture(scope="session")
def provisioned(base_root: Path, wheels: Wheels) -> Iterator[Provisioned]:
    """A copy of the bare root with site.yml applied once."""
    work = ROOTS / f"work-{os.getpid()}"
    root = work / "root"
    remove_root(work)
    work.mkdir(parents=True)
    try:
        subprocess.run(["cp", "-a", str(base_root), str(root)], check=True)
        archives = root / "var/cache/apt/archives"
        share_debs(APT_ARCHIVES, archives)
        inventory = work / "inventory.yml"
        write_inventory(inventory, root, wheels)
        first = run_playbook(inventory)
        share_debs(archives, APT_ARCHIVES)
        yield Provisioned(root=root, inventory=inventory, first=first)
    finally:
        remove_root(work)
