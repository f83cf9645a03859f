"""The configuration bundle's format (security/config_bundle.py): the same files make the same
bytes (so the same version), a signature holds only for its key and its bytes, and unpacking
writes regular files inside the folder or nothing."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from appliance.security import config_bundle

FILES = {"provisioning/site.yml": b"- hosts: kiosks\n", "policies/a.yaml": b"controls: []\n"}


def test_the_same_files_make_the_same_bundle_and_version() -> None:
    one = config_bundle.make(FILES)
    again = config_bundle.make(dict(reversed(list(FILES.items()))))
    assert one == again and config_bundle.version(one) == config_bundle.version(again)
    changed = config_bundle.make(FILES | {"policies/a.yaml": b"controls: [x]\n"})
    assert config_bundle.version(changed) != config_bundle.version(one)


def test_a_signature_holds_for_its_key_and_its_bytes_only() -> None:
    key, other = config_bundle.new_key(), config_bundle.new_key()
    bundle = config_bundle.make(FILES)
    signature = config_bundle.sign(key, bundle)
    public = config_bundle.public_pem(key)
    assert config_bundle.verify(public, bundle, signature)
    assert not config_bundle.verify(config_bundle.public_pem(other), bundle, signature)
    assert not config_bundle.verify(public, bundle + b"\0", signature)
    assert not config_bundle.verify(public, bundle, config_bundle.sign(other, bundle))
    assert not config_bundle.verify(public, bundle, "not base64!")
    assert not config_bundle.verify("not a key", bundle, signature)
    reloaded = config_bundle.load_key(config_bundle.key_pem(key))
    assert config_bundle.verify(public, bundle, config_bundle.sign(reloaded, bundle))


def test_unpacking_writes_the_files_inside_the_folder(tmp_path: Path) -> None:
    names = config_bundle.unpack(config_bundle.make(FILES), tmp_path)
    assert sorted(names) == sorted(FILES)
    assert (tmp_path / "provisioning/site.yml").read_bytes() == FILES["provisioning/site.yml"]


def _tar(*members: tarfile.TarInfo) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for m in members:
            tar.addfile(m, io.BytesIO(b"x" * m.size) if m.isfile() else None)
    return out.getvalue()


@pytest.mark.parametrize("name", ["../escape.yml", "/etc/passwd", "provisioning/../../x"])
def test_a_path_out_of_the_folder_refuses_the_whole_bundle(tmp_path: Path, name: str) -> None:
    good, bad = tarfile.TarInfo("provisioning/site.yml"), tarfile.TarInfo(name)
    good.size = bad.size = 1
    with pytest.raises(config_bundle.BadBundle):
        config_bundle.unpack(_tar(good, bad), tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "escape.yml").exists()


def test_a_link_refuses_the_whole_bundle(tmp_path: Path) -> None:
    link = tarfile.TarInfo("provisioning/site.yml")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
    with pytest.raises(config_bundle.BadBundle, match="regular files only"):
        config_bundle.unpack(_tar(link), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_what_is_not_a_tar_is_refused(tmp_path: Path) -> None:
    with pytest.raises(config_bundle.BadBundle, match="not a tar"):
        config_bundle.unpack(b"certainly not a tar archive" * 40, tmp_path)
