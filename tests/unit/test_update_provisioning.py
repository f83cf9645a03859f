"""The provisioning for updates (docs/updates.md): the usb role's rule for update sticks and
the pos_app role's update units, rendered with Jinja as Ansible renders them."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import yaml

ROLES = Path(__file__).resolve().parents[2] / "provisioning" / "roles"


def render(role: str, template: str, **overrides: object) -> str:
    values = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["regex_replace"] = lambda text, pattern, repl: re.sub(pattern, repl, text)
    env.filters["bool"] = lambda value: value is True or str(value).lower() in ("true", "yes", "1")
    text = (ROLES / role / "templates" / template).read_text()
    return env.from_string(text).render(ansible_managed="managed", **{**values, **overrides})


def test_no_update_media_leaves_the_usb_policy_and_modules_as_they_were() -> None:
    rules = render("usb", "rules.conf.j2")
    assert "08:" not in rules and "update media" not in rules
    modprobe = render("usb", "modprobe.conf.j2")
    assert "install usb_storage /bin/false" in modprobe and "install uas /bin/false" in modprobe


def test_update_media_are_allowed_as_mass_storage_only_and_storage_may_load() -> None:
    media = [
        {"name": "lyon stick", "vendor_id": "0781", "product_id": "5567", "serial": "4C530001"},
        {"name": "any of these", "vendor_id": "090c", "product_id": "1000"},
    ]
    rules = render("usb", "rules.conf.j2", usb_update_media=media)
    assert (
        'allow id 0781:5567 serial "4C530001" with-interface equals { 08:*:* } label "update media: lyon stick"'
        in rules.splitlines()
    )
    assert 'allow id 090c:1000 with-interface equals { 08:*:* } label "update media: any of these"' in rules
    modprobe = render("usb", "modprobe.conf.j2", usb_update_media=media)
    assert "usb_storage" not in modprobe and "uas" not in modprobe
    assert "install bluetooth /bin/false" in modprobe  # the rest stays out


def test_the_update_service_runs_apply_as_the_tills_user_with_the_sticks_folders() -> None:
    unit = render(
        "pos_app",
        "comptoir-update.service.j2",
        pos_app_update_usb_dirs=["/media/comptoir-update", "/media/other"],
    )
    assert (
        "ExecStart=/opt/comptoir/bin/comptoir update apply --data-dir /var/lib/comptoir"
        " --downloads /var/lib/comptoir-updates --usb-dir /media/comptoir-update --usb-dir /media/other"
    ) in unit.splitlines()
    assert "User=comptoir" in unit and "StateDirectory=comptoir-updates" in unit
    assert "ConditionPathExists=/etc/rauc/system.conf" in unit
    booted = render("pos_app", "comptoir-update-booted.service.j2")
    assert "ExecStart=/opt/comptoir/bin/comptoir update booted --data-dir /var/lib/comptoir" in booted
