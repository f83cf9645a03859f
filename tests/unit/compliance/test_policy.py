"""The shipped policies are valid and cover the guidance; bad files are refused with file,
line and reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from appliance.security.compliance import coverage
from appliance.security.compliance.model import Status
from appliance.security.compliance.policy import Policy, PolicyError, load_policies, load_policy
from appliance.security.compliance.sources import TA14_002A_ITEMS
from image import ab_disk

from .conftest import Root

REPO = Path(__file__).resolve().parents[3]
POLICIES = REPO / "policies"
ROLES = REPO / "provisioning/roles"
GOOD = """policy: {id: test, title: Test, source: Comptoir}
controls:
  - id: T-1
    title: A file exists
    rationale: Because it must be there.
    severity: low
    references: [{source: PCI-DSS-4.0, item: "8.3.4"}]
    check: {type: file_present, path: /etc/x}
    remediation: {role: accounts, tag: accounts_faillock, text: The accounts role writes it.}
"""


def shipped() -> list[Policy]:
    return load_policies([POLICIES])


def test_the_shipped_policies_load_with_at_least_50_controls() -> None:
    policies = shipped()
    assert {p.id for p in policies} == {"us-cert-ta14-002a", "us-cert-ta14-212a", "pci-dss-4", "kiosk-baseline"}
    assert sum(len(p.controls) for p in policies) >= 50


def test_every_ta14_002a_recommendation_and_every_pci_area_is_covered() -> None:
    table = coverage.rows(shipped())
    covered = {(r.item.source, r.item.item) for r in table if r.controls}
    assert all(("TA14-002A", i.item) in covered for i in TA14_002A_ITEMS)
    pci = {item for source, item in covered if source == "PCI-DSS-4.0"}
    areas = ["1.3", "1.4", "2.2", "3.3", "3.4", "3.5", "3.6", "3.7", "5.2", "5.3", "6.3.3", "8.2", "8.3"]
    areas += ["10.2", "10.3", "10.5", "10.6", "11.5"]
    for area in areas:
        assert any(i == area or i.startswith(area + ".") for i in pci), f"PCI DSS {area} has no control"


def test_every_remediation_names_a_tag_its_role_really_has() -> None:
    if not ROLES.is_dir():
        pytest.skip("no provisioning/ in this checkout")
    for policy in shipped():
        for control in policy.controls:
            role, tag = control.remediation.role, control.remediation.tag
            tasks = "\n".join(p.read_text() for p in (ROLES / role / "tasks").glob("*.yml"))
            tags = set(re.findall(r"[a-z0-9_]+", " ".join(re.findall(r"tags:\s*\[([^\]]*)\]", tasks))))
            assert tag == role or tag in tags, f"{control.id}: role {role} has no tag {tag}"


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (("severity: low", "severity: dire"), 6, "'dire' is not one of low, medium, high, critical"),
        (
            ("    check: {type: file_present, path: /etc/x}", "    check: {type: file_present, path: /etc/x, mode: 1}"),
            8,
            "unknown key ('mode' was unexpected)",
        ),
        (
            ("type: file_present, path: /etc/x", "type: file_contains, path: /etc/x, pattern: '(unclosed'"),
            8,
            "is not a 'regex'",
        ),
        (("type: file_present, path: /etc/x", "type: file_presence, path: /etc/x"), 8, "'file_presence' is not one of"),
        (('item: "8.3.4"', 'item: "8.3.44"'), 7, "PCI-DSS-4.0 has no item '8.3.44'"),
        (("role: accounts,", "role: acounts,"), 9, "'acounts' is not one of"),
        (("    rationale: Because it must be there.\n", ""), 3, "'rationale' is a required property"),
        (("title: A file exists", "title: [unclosed"), 5, "YAML"),
    ],
)
def test_a_bad_policy_is_refused_with_its_line(tmp_path: Path, change: tuple[str, str], line: int, reason: str) -> None:
    path = tmp_path / "bad.yaml"
    assert change[0] in GOOD
    path.write_text(GOOD.replace(change[0], change[1]))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    first = caught.value.problems[0]
    assert (first.file, first.line) == (str(path), line), str(caught.value)
    assert reason in first.reason
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_a_bad_check_inside_all_of_points_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        GOOD.replace(
            "    check: {type: file_present, path: /etc/x}",
            "    check:\n      type: all_of\n      checks:\n        - {type: file_present, path: /etc/x}\n"
            "        - {type: setting, path: /etc/y, key: k, op: around}",
        )
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.problems[0].line == 12
    assert "controls[0].check.checks[1].op" in caught.value.problems[0].reason


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD.replace("id: test", "id: other"))
    with pytest.raises(PolicyError, match=r"b\.yaml:3: duplicate control id T-1 \(first at .*a\.yaml:3\)"):
        load_policies([tmp_path])


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(GOOD.replace("    severity: low\n", "    severity: low\n    severity: high\n"))
    with pytest.raises(PolicyError, match=r"dup\.yaml:7: YAML: duplicate key 'severity'"):
        load_policy(path)


def test_coverage_lists_uncovered_items_apart_from_procedural_ones() -> None:
    text = coverage.to_text(coverage.rows(shipped()))
    assert "procedural: a duty of people" in text
    assert re.search(r"\d+ of \d+ items covered; \d+ procedural; \d+ uncovered", text)


def _reason_rows() -> dict[str, str]:
    """policies/README.md's table of PCI DSS items no scan of the box covers: item -> its cell."""
    text = (POLICIES / "README.md").read_text()
    section = text[text.index("## PCI DSS items no scan of the box covers") :]
    rows = re.findall(r"^\| (\d+(?:\.\d+)+) [^|]*\| (.+) \|$", section, re.M)
    return dict(rows)


def test_every_uncovered_pci_item_has_its_reason_in_the_policies_readme() -> None:
    missing = [
        r.item.item
        for r in coverage.uncovered(coverage.rows(shipped()))
        if r.item.source == "PCI-DSS-4.0" and r.item.item not in _reason_rows()
    ]
    assert not missing, f"PCI DSS items with neither a control nor a reason in policies/README.md: {missing}"


def test_an_item_the_readme_gives_a_control_is_covered_by_that_control() -> None:
    controls = {c.id: c for p in shipped() for c in p.controls}
    for item, cell in _reason_rows().items():
        named = re.match(r"(PCI-[\w.-]+|TA14-[\w.-]+):", cell)
        if named is None:
            continue
        control = controls[named.group(1)]
        cited = [r.item for r in control.references]
        assert any(c == item or c.startswith(item + ".") or item.startswith(c + ".") for c in cited), (item, cited)


def test_a_read_only_ab_slot_updates_by_signed_bundles_and_that_counts(root: Root) -> None:
    """TA14-002A-2.1 and 2.5 on the A/B slot the image builds (image/ab_disk.py): its apt timers
    are masked (the root cannot change in place) and the office's signed bundles update it."""
    controls = {c.id: c for p in shipped() for c in p.controls if c.id in ("TA14-002A-2.1", "TA14-002A-2.5")}
    root.link("/lib", "usr/lib")
    for unit in ("apt-daily.timer", "apt-daily-upgrade.timer", "comptoir-update.timer"):
        root.write(f"/usr/lib/systemd/system/{unit}", "[Unit]\n")
    for unit in ab_disk.MASKED:
        root.link(f"/etc/systemd/system/{unit}", "/dev/null")
    root.write("/etc/systemd/system/comptoir-update.timer", "[Timer]\n")
    root.link(
        "/etc/systemd/system/timers.target.wants/comptoir-update.timer", "/etc/systemd/system/comptoir-update.timer"
    )
    root.packages("unattended-upgrades")
    root.write("/etc/rauc/system.conf", ab_disk.system_conf(with_keyring=True))
    assert {i: root.check(c.check).status for i, c in controls.items()} == {
        "TA14-002A-2.1": Status.FAIL,  # no keyring: the box would install nothing
        "TA14-002A-2.5": Status.FAIL,
    }
    root.write("/etc/rauc/keyring.pem", "-----BEGIN CERTIFICATE-----\n")
    assert {i: root.check(c.check).status for i, c in controls.items()} == {
        "TA14-002A-2.1": Status.PASS,
        "TA14-002A-2.5": Status.PASS,
    }
    root.write("/etc/rauc/system.conf", ab_disk.system_conf(with_keyring=False))  # an unsigned image
    assert {root.check(c.check).status for c in controls.values()} == {Status.FAIL}
