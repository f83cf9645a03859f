"""Every file the app serves or reads at run time is in the installed package: a screen's
module left out of package-data is a blank screen on the box while every test from the
checkout still passes (the back office's modules nearly shipped that way)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

REPO = Path(__file__).parents[2]
APP = REPO / "appliance"
SHIPPED = ("app/web/templates", "app/web/static", "app/store/migrations", "app/words", "app/demo")


def _patterns() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns: list[str] = project["tool"]["setuptools"]["package-data"]["appliance"]
    return patterns


def test_every_file_the_app_reads_at_run_time_is_package_data() -> None:
    patterns = _patterns()
    left_out = [
        str(path.relative_to(APP))
        for folder in SHIPPED
        for path in sorted((APP / folder).rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in (".py", ".md")  # code is packaged as modules; notes are for readers
        # fnmatch's * crosses "/", setuptools' does not: match folder by folder
        and not any(
            fnmatch.fnmatch(str(path.relative_to(APP)), p) and p.count("/") == str(path.relative_to(APP)).count("/")
            for p in patterns
        )
    ]
    assert left_out == [], "add their folders to [tool.setuptools.package-data] in pyproject.toml"
