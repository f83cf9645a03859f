"""The image's Python scripts run inside the guest only, where a broken import shows as a
failed boot twenty minutes into the image tests: each name they take from the app must exist."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SCRIPTS = [
    p
    for p in sorted((Path(__file__).resolve().parents[2] / "image" / "files").rglob("*"))
    # The scripts the app's own interpreter runs (the system's python3 runs the others, which
    # take nothing from the app).
    if p.is_file() and p.read_bytes().split(b"\n", 1)[0].startswith(b"#!/opt/comptoir/")
]


def test_the_image_has_python_scripts_to_check() -> None:
    assert any(p.name == "comptoir-powercut" for p in SCRIPTS), SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_name_a_script_takes_from_the_app_exists(script: Path) -> None:
    tree = ast.parse(script.read_text(encoding="utf-8"), filename=str(script))
    taken = [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("appliance")
        for alias in node.names
    ]
    assert taken, f"{script.name} takes nothing from the app?"
    missing = [f"{module}.{name}" for module, name in taken if not hasattr(importlib.import_module(module), name)]
    assert not missing, f"{script.name} imports what the app no longer has: {missing}"


def test_the_build_hashes_a_vars_file_from_outside_the_repository(tmp_path: Path) -> None:
    build = importlib.import_module("image.build")
    inside = Path(build.REPO) / "pyproject.toml"
    site = tmp_path / "site.yml"
    site.write_text("comptoir_ntp: ntp.example\n")
    first = build.hash_files([inside, site], build.REPO)
    assert first == build.hash_files([inside, site], build.REPO)  # the same inputs, the same key
    site.write_text("comptoir_ntp: ntp2.example\n")
    assert build.hash_files([inside, site], build.REPO) != first  # a changed site file is a new build


def test_the_ab_stage_says_unchanged_only_when_it_builds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    build = importlib.import_module("image.build")
    built: list[Path] = []

    def build_ab(*, out: Path, signing: object, **_: object) -> None:
        built.append(out)
        for name in ("comptoir-ab.img", "rootfs.ext4", *(["comptoir-0.raucb"] if signing else [])):
            (out / name).write_bytes(b"")

    def esp_image(esp: Path, seed: str, rootfs: Path) -> Path:
        esp.write_bytes(b"")
        return esp

    monkeypatch.setattr(build.ab_disk, "build_ab", build_ab)
    (tmp_path / "prov" / "rootfs" / "boot").mkdir(parents=True)
    (tmp_path / "prov" / "rootfs" / "boot" / "vmlinuz-6.1.0").write_bytes(b"")
    prov = build.Stage("prov", tmp_path / "prov", "prov-key")
    tar = build.Stage("tar", tmp_path / "tar", "tar-key")
    signing = build.ab_disk.Signing(key=tmp_path / "k.pem", cert=tmp_path / "c.pem", keyring=tmp_path / "r.pem")
    image = build.Build(out=tmp_path / "out", epoch=0, vars_files=[], signing=signing)
    monkeypatch.setattr(image, "esp_image", esp_image)

    image.ab(prov, tar)
    assert len(built) == 1 and "unchanged" not in capsys.readouterr().out
    image.ab(prov, tar)  # the same inputs, the disk and its bundle there: kept
    assert len(built) == 1 and "unchanged" in capsys.readouterr().out
    (built[0] / "comptoir-0.raucb").unlink()  # the bundle lost: built again, and not called unchanged
    image.ab(prov, tar)
    assert len(built) == 2 and "unchanged" not in capsys.readouterr().out
