"""Paths resolve inside the root, never on the scanning host."""

from __future__ import annotations

import pytest

from appliance.security.compliance.model import Status
from appliance.security.compliance.target import Target, Unreadable

from .conftest import Root


def test_absolute_links_resolve_inside_the_root(root: Root) -> None:
    root.write("/usr/share/zoneinfo/Etc/UTC", "TZif")
    root.link("/etc/localtime", "/usr/share/zoneinfo/Etc/UTC")
    root.link("/lib", "usr/lib")
    root.write("/usr/lib/systemd/system/x.service", "[Unit]\n")
    target = Target.open(root.path)
    assert target.read_text("/etc/localtime") == "TZif"
    assert target.read_text("/lib/systemd/system/x.service") == "[Unit]\n"


def test_a_link_out_of_the_root_stays_in_it(root: Root) -> None:
    root.link("/etc/passwd", "/../../../../etc/shadow")
    target = Target.open(root.path)
    assert target.resolve("/etc/passwd") == root.path / "etc/shadow"
    assert not target.exists("/etc/passwd")  # the host's shadow is never read


def test_link_loops_are_unreadable_not_a_hang(root: Root) -> None:
    root.link("/etc/a", "/etc/b")
    root.link("/etc/b", "/etc/a")
    with pytest.raises(Unreadable, match="too many levels"):
        Target.open(root.path).read_text("/etc/a")
    outcome = root.check({"type": "file_contains", "path": "/etc/a", "pattern": "x"})
    assert outcome.status is Status.ERROR


def test_glob_inside_the_root(root: Root) -> None:
    root.write("/etc/sysctl.d/10-a.conf", "")
    root.write("/etc/sysctl.d/20-b.conf", "")
    assert Target.open(root.path).glob("/etc/sysctl.d/*.conf") == ["/etc/sysctl.d/10-a.conf", "/etc/sysctl.d/20-b.conf"]


def test_weird_files_are_errors_with_a_reason(root: Root) -> None:
    root.mkdir("/etc/pam.d/common-auth")  # a folder where a file belongs
    outcome = root.check({"type": "file_contains", "path": "/etc/pam.d/common-auth", "pattern": "x"})
    assert outcome.status is Status.ERROR
    assert "not a regular file" in outcome.evidence[0].found
    fifo = root.host("/etc/passwd")
    import os

    os.mkfifo(fifo)  # reading a FIFO would block forever
    outcome = root.check({"type": "accounts", "property": "uid0_only_root"})
    assert outcome.status is Status.ERROR


def test_live_is_only_for_a_booted_slash(root: Root) -> None:
    assert not Target.open(root.path).live
