"""The playbook parses, and ansible-lint passes on the production profile."""

from __future__ import annotations

import subprocess

import pytest

from .helpers import ANSIBLE_LINT, ANSIBLE_PLAYBOOK, PROVISIONING, ansible_env

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
    "config_pull",
]


def test_site_yml_passes_syntax_check() -> None:
    inventory = PROVISIONING / "inventory/example/hosts.yml"
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "--syntax-check", "-i", str(inventory), "site.yml"],
        cwd=PROVISIONING,
        env=ansible_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_example_inventory_has_two_stores() -> None:
    inventory = PROVISIONING / "inventory/example/hosts.yml"
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK.with_name("ansible-inventory")), "-i", str(inventory), "--graph"],
        cwd=PROVISIONING,
        env=ansible_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "@store_lyon" in proc.stdout
    assert "@store_nantes" in proc.stdout


@pytest.mark.parametrize("role", ROLES)
def test_every_role_documents_every_default(role: str) -> None:
    """Each role has defaults/main.yml and a README naming every variable in it."""
    role_dir = PROVISIONING / "roles" / role
    defaults = (role_dir / "defaults/main.yml").read_text()
    readme = (role_dir / "README.md").read_text()
    names = [
        line.split(":", 1)[0]
        for line in defaults.splitlines()
        if line and not line.startswith(("#", " ", "-")) and ":" in line
    ]
    assert names, f"{role} has no defaults"
    missing = [name for name in names if f"`{name}`" not in readme]
    assert not missing, f"{role}/README.md does not document {missing}"
    assert all(name.startswith(f"{role}_") for name in names), names


@pytest.mark.slow
def test_ansible_lint_production_profile_is_clean() -> None:
    proc = subprocess.run(
        [str(ANSIBLE_LINT), "--profile", "production", "--nocolor", "."],
        cwd=PROVISIONING,
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
