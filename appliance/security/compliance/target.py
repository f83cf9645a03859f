"""A scan target: a root directory read as if it were `/`, never run.

Absolute symlinks inside an image root (/etc/localtime, /lib → usr/lib, units masked as
/dev/null) point into the root, not into the host that scans it, so every path is resolved
here component by component with the root as `/`. Nothing follows a link out of the root.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

T = TypeVar("T")

MAX_LINKS = 40  # the kernel's own limit on links followed while resolving a path
MAX_READ = 16 * 1024 * 1024  # a config file bigger than this is not a config file


class Unreadable(Exception):
    """A path could not be read; the message is the reason, for an `error` result."""


def _live(root: Path) -> bool:
    # sd_booted(): systemd runs as init exactly when /run/systemd/system is a folder. In a
    # chroot of an image /run is empty, so `--root /` inside it is still an image scan.
    return root == Path("/") and Path("/run/systemd/system").is_dir() and Path("/proc/net/tcp").exists()


@dataclass
class Target:
    root: Path
    live: bool = False
    proc: Path = Path("/proc")  # of the running host (live checks only)
    sys: Path = Path("/sys")  # likewise
    _cache: dict[str, str] = field(default_factory=dict, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, root: Path | str, live: bool | None = None) -> Target:
        resolved = Path(os.path.realpath(root))
        return cls(root=resolved, live=_live(resolved) if live is None else live)

    def memo(self, key: str, make: Callable[[], T]) -> T:
        """A value parsed once per scan (dpkg status, the nftables ruleset…)."""
        if key not in self._memo:
            self._memo[key] = make()
        value: T = self._memo[key]
        return value

    # -- paths ------------------------------------------------------------------------------

    def resolve(self, path: str, *, follow_last: bool = True) -> Path:
        """The host path of `path` (absolute, as seen inside the target), links resolved
        inside the root. A missing component is kept as it is (the result may not exist)."""
        parts = [p for p in PurePosixPath("/", path).parts[1:] if p not in ("", ".")]
        done: list[str] = []
        hops = 0
        while parts:
            name = parts.pop(0)
            if name == "..":
                if done:
                    done.pop()
                continue
            candidate = self.root.joinpath(*done, name)
            if (parts or follow_last) and candidate.is_symlink():
                hops += 1
                if hops > MAX_LINKS:
                    raise Unreadable(f"too many levels of symbolic links at /{'/'.join([*done, name])}")
                link = os.readlink(candidate)
                if link.startswith("/"):
                    done = []
                parts = [p for p in PurePosixPath(link).parts if p not in ("", ".", "/")] + parts
                continue
            done.append(name)
        return self.root.joinpath(*done)

    def glob(self, pattern: str) -> list[str]:
        """Target paths matching a glob (sorted); the folder part is resolved in the root."""
        pure = PurePosixPath("/", pattern)
        fixed: list[str] = []
        for part in pure.parts[1:]:
            if any(ch in part for ch in "*?["):
                break
            fixed.append(part)
        base = "/" + "/".join(fixed)
        rest = "/".join(pure.parts[1 + len(fixed) :])
        if not rest:
            return [base] if self.exists(base, follow_last=False) else []
        host_base = self.resolve(base)
        try:
            matches = sorted(host_base.glob(rest))
        except OSError:
            return []
        return [str(PurePosixPath(base, m.relative_to(host_base))) for m in matches]

    def exists(self, path: str, *, follow_last: bool = True) -> bool:
        """Whether the path is there; a link loop raises Unreadable (an error, not "missing")."""
        host = self.resolve(path, follow_last=follow_last)
        return host.is_symlink() or host.exists()

    def lstat(self, path: str) -> os.stat_result:
        try:
            return os.lstat(self.resolve(path, follow_last=False))
        except OSError as exc:
            raise Unreadable(exc.strerror or str(exc)) from None

    def stat(self, path: str) -> os.stat_result:
        try:
            return os.stat(self.resolve(path))
        except OSError as exc:
            raise Unreadable(exc.strerror or str(exc)) from None

    def readlink(self, path: str) -> str | None:
        """The link's text, or None when path is not a symlink."""
        host = self.resolve(path, follow_last=False)
        if not host.is_symlink():
            return None
        try:
            return os.readlink(host)
        except OSError as exc:
            raise Unreadable(exc.strerror or str(exc)) from None

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(self.resolve(path)))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise Unreadable(exc.strerror or str(exc)) from None

    def read_bytes(self, path: str, limit: int = MAX_READ) -> bytes:
        host = self.resolve(path)
        try:
            st = os.stat(host)
            if not stat.S_ISREG(st.st_mode):
                raise Unreadable("not a regular file")
            with open(host, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise Unreadable(exc.strerror or str(exc)) from None
        if len(data) > limit:
            raise Unreadable(f"larger than {limit} bytes")
        return data

    def read_text(self, path: str) -> str:
        """A text file of the target, cached for the scan (many controls read the same file)."""
        if path not in self._cache:
            self._cache[path] = self.read_bytes(path).decode("utf-8", errors="replace")
        return self._cache[path]

    def read_optional(self, path: str) -> str | None:
        """The text, or None when the file does not exist; Unreadable for other failures."""
        if not self.exists(path):
            return None
        return self.read_text(path)

    # -- accounts ---------------------------------------------------------------------------

    def table(self, path: str) -> list[list[str]]:
        """A colon-separated account database (passwd, shadow, group) as rows of fields."""
        rows = []
        for line in self.read_text(path).splitlines():
            if line.strip() and not line.startswith("#"):
                rows.append(line.split(":"))
        return rows

    def user_name(self, uid: int) -> str:
        return self._name("/etc/passwd", uid)

    def group_name(self, gid: int) -> str:
        return self._name("/etc/group", gid)

    def _name(self, table: str, number: int) -> str:
        """The name that `table` (/etc/passwd or /etc/group) gives a uid or gid; the number
        itself when the table does not name it or cannot be read."""
        try:
            for row in self.table(table):
                if len(row) > 2 and row[2] == str(number):
                    return row[0]
        except Unreadable:
            pass
        return str(number)
