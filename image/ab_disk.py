"""The A/B disk and the signed update bundle, from the provisioned root (image/build.py's `ab` stage).

Layout (GPT, made on a file with sfdisk, nothing mounted):

  ESP              systemd-boot; per slot its kernel and initramfs (/comptoir-a, /comptoir-b) and a
                   loader entry; the box's RAUC backend (comptoir-boot-slots) writes B's on update
  comptoir-root-a  the root as built (ext4), booted first
  comptoir-root-b  empty: the first update writes it
  comptoir-data    what outlives an update and a rollback: the store, the sealed keys, systemd's
                   state (the credentials' host key), the logs, RAUC's status, downloaded bundles

The root of each slot is the same tree the tar holds, plus the few files that make it an A/B
root (fstab with the data partition's binds, RAUC's system.conf and keyring, the slots' map for
the backend, the image version). The bundle carries exactly that slot image, signed with the
builder's key: a box installs only what a certificate of its keyring signed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
DATA_MIB_DEFAULT = 1024
# State that must outlive the slot: bound from the data partition over the root's own folder.
# The slot itself is mounted read-only, so whatever the box writes in normal use is here or
# in memory (TMPFS). (name on the data partition, path in the root, mode when the root has
# no such folder)
DATA_BINDS = (
    ("comptoir", "var/lib/comptoir", 0o750),
    ("credstore.encrypted", "etc/credstore.encrypted", 0o700),
    ("systemd", "var/lib/systemd", 0o755),
    ("log", "var/log", 0o755),
    ("updates", "var/lib/comptoir-updates", 0o700),  # bundles fetched by `comptoir update`
    ("clamav", "var/lib/clamav", 0o755),  # the signatures freshclam fetches
    ("aide", "var/lib/aide", 0o700),  # the file integrity baseline (made again for a new version)
    ("dhcpcd", "var/lib/dhcpcd", 0o755),
    ("logrotate", "var/lib/logrotate", 0o755),
    ("tmp", "var/tmp", 0o1777),
)
# Scratch that need not outlive a boot: (path, mode). The kiosk user's home is memory too
# (fstab): its browser profile and caches are forgotten at every boot, as a shop's public
# screen's should be.
TMPFS = (("tmp", "1777"),)
KIOSK_USER = "kiosk"
# The slot is read-only: timers that would change it in place have no work on it. Debian's
# fixes come in the next signed bundle (docs/updates.md), not from apt on the box.
MASKED = ("apt-daily.timer", "apt-daily-upgrade.timer", "apt-show-versions.timer", "dpkg-db-backup.timer")
# dhcpcd fills the resolver from its lease: on the read-only slot, /etc/resolv.conf points
# into /run, made empty at each boot by tmpfiles (dhcpcd's unit may write only that file).
RESOLV = "/run/comptoir-net/resolv.conf"
TMPFILES = f"""# The A/B slot is read-only (image/ab_disk.py): the resolver dhcpcd writes lives in /run.
d /run/comptoir-net 0755 root root -
f {RESOLV} 0644 root root -
"""
# AIDE's baseline is on the data partition (the slot cannot hold it); it is made again when
# the booted image version is not the one it was made of (after an update or a rollback).
AIDE_INIT_DROPIN = """# The A/B slot (image/ab_disk.py): AIDE's baseline, on the data partition, is made again at
# the first boot of another image version (an update, a rollback), as at the box's first boot.
[Unit]
ConditionPathExists=

[Service]
ExecCondition=/bin/sh -c '! cmp -s /usr/lib/comptoir/image-version /var/lib/aide/image-version \\
    || [ ! -e /var/lib/aide/aide.db ]'
# The version is stamped once the baseline is whole: a cut in the middle makes it again.
ExecStart=
ExecStart=/bin/sh -c '/usr/sbin/aideinit --yes --force \\
    && cp /usr/lib/comptoir/image-version /var/lib/aide/image-version'
"""

# What AIDE must not compare on an A/B box: the data partition (its state is already left out
# under the paths it is bound to) and the loader entries boot counting renames. The slot's
# kernels on the ESP stay checked.
AIDE_EXCLUDES = """# The A/B slot (image/ab_disk.py).
!/data
!/efi/loader/entries
!/efi/loader/random-seed
"""


def slot_options(kernel_options: str) -> str:
    """The slots' kernel command line: the root mounted read-only, and never remounted
    read-write by fstab (the slot's fstab has no line for /)."""
    words = [w for w in kernel_options.split() if w not in ("rw", "ro")]
    return " ".join(["ro", *words])


@dataclass(frozen=True)
class Signing:
    """What the builder is given to sign bundles; none of it lives in the repository."""

    key: Path
    cert: Path
    keyring: Path


@dataclass(frozen=True)
class Slots:
    esp_uuid: str
    a_uuid: str
    b_uuid: str
    data_uuid: str

    def root(self, slot: str) -> str:
        return f"PARTUUID={self.a_uuid if slot == 'A' else self.b_uuid}"


def fstab(kiosk: tuple[int, int] | None = None) -> str:
    lines = [
        "# A/B root: the slot is named by the kernel command line (root=, rauc.slot=) and mounted",
        "# read-only (`ro`, and no line here for /).",
        "# What outlives an update or a rollback lives on the data partition and is bound here.",
        "PARTLABEL=comptoir-data /data ext4 defaults,nodev,nosuid,noexec,errors=remount-ro 0 2",
        "PARTLABEL=ESP /efi vfat umask=0077,shortname=winnt,nodev,nosuid,noexec 0 2",
    ]
    for name, path, _ in DATA_BINDS:
        lines.append(f"/data/{name} /{path} none bind,x-systemd.requires-mounts-for=/data 0 0")
    for path, mode in TMPFS:
        lines.append(f"tmpfs /{path} tmpfs mode={mode},nodev,nosuid,size=25% 0 0")
    if kiosk is not None:
        uid, gid = kiosk
        lines.append(f"tmpfs /home/{KIOSK_USER} tmpfs mode=0700,uid={uid},gid={gid},nodev,nosuid,noexec,size=25% 0 0")
    return "\n".join(lines) + "\n"


def system_conf(with_keyring: bool) -> str:
    text = (
        "# RAUC on the Comptoir kiosk: two root slots booted by systemd-boot with boot counting\n"
        "# (the custom backend comptoir-boot-slots keeps their loader entries on the ESP).\n"
        "[system]\n"
        "compatible=comptoir-kiosk-x86_64\n"
        "bootloader=custom\n"
        "bundle-formats=-plain\n"
        "data-directory=/data/rauc\n"
        "# The bundle and the slots are mounted under /run: the root slot is read-only.\n"
        "mountprefix=/run/rauc\n"
        "\n"
        "[handlers]\n"
        "bootloader-custom-backend=/usr/local/sbin/comptoir-boot-slots\n"
        "\n"
        "[slot.rootfs.0]\n"
        "device=/dev/disk/by-partlabel/comptoir-root-a\n"
        "type=ext4\n"
        "bootname=A\n"
        "\n"
        "[slot.rootfs.1]\n"
        "device=/dev/disk/by-partlabel/comptoir-root-b\n"
        "type=ext4\n"
        "bootname=B\n"
    )
    if with_keyring:
        text += "\n[keyring]\npath=/etc/rauc/keyring.pem\n"
    return text


def make_slot_root(staging: Path, slots: Slots, version: str, signing: Signing | None) -> None:
    """Turns an unpacked root into an A/B slot root (in place)."""
    (staging / "etc/fstab").write_text(fstab(account(staging, KIOSK_USER)))
    read_only(staging)
    for folder in ("data", "efi"):
        (staging / folder).mkdir(mode=0o755, exist_ok=True)
    rauc = staging / "etc/rauc"
    rauc.mkdir(mode=0o755, exist_ok=True)
    (rauc / "system.conf").write_text(system_conf(signing is not None))
    if signing is not None:
        shutil.copyfile(signing.keyring, rauc / "keyring.pem")
        (rauc / "keyring.pem").chmod(0o644)
    comptoir_etc = staging / "etc/comptoir"
    comptoir_etc.mkdir(mode=0o755, exist_ok=True)
    (comptoir_etc / "boot-slots.json").write_text(
        json.dumps(
            {
                "slots": {
                    "A": {"device": "/dev/disk/by-partlabel/comptoir-root-a", "root": slots.root("A")},
                    "B": {"device": "/dev/disk/by-partlabel/comptoir-root-b", "root": slots.root("B")},
                }
            },
            indent=2,
        )
        + "\n"
    )
    lib = staging / "usr/lib/comptoir"
    lib.mkdir(mode=0o755, parents=True, exist_ok=True)
    (lib / "image-version").write_text(version + "\n")


def account(root: Path, user: str) -> tuple[int, int] | None:
    """The user's uid and gid in the root's passwd file (None: no such user)."""
    passwd = root / "etc/passwd"
    for line in passwd.read_text().splitlines() if passwd.exists() else []:
        fields = line.split(":")
        if len(fields) > 3 and fields[0] == user:
            return int(fields[2]), int(fields[3])
    return None


def read_only(staging: Path) -> None:
    """What a read-only slot needs in its own tree; measured on the A/B disk booted under qemu
    (image/README.md, "Read-only root"): every other write goes to a bind of DATA_BINDS."""
    # The resolver, into /run (dhcpcd's hook writes through the link).
    resolv = staging / "etc/resolv.conf"
    resolv.unlink(missing_ok=True)
    resolv.symlink_to(RESOLV)
    tmpfiles = staging / "usr/lib/tmpfiles.d/comptoir-read-only.conf"
    tmpfiles.parent.mkdir(parents=True, exist_ok=True)
    tmpfiles.write_text(TMPFILES)
    # dbus makes this link at boot when it is missing.
    dbus_id = staging / "var/lib/dbus/machine-id"
    dbus_id.parent.mkdir(parents=True, exist_ok=True)
    dbus_id.unlink(missing_ok=True)
    dbus_id.symlink_to("/etc/machine-id")
    units = staging / "etc/systemd/system"
    units.mkdir(parents=True, exist_ok=True)
    for unit in MASKED:
        (units / unit).unlink(missing_ok=True)
        (units / unit).symlink_to("/dev/null")
        for wants in units.glob(f"*.wants/{unit}"):
            wants.unlink()
    dropin = units / "comptoir-aide-init.service.d"
    dropin.mkdir(exist_ok=True)
    (dropin / "ab-slot.conf").write_text(AIDE_INIT_DROPIN)
    aide_conf = staging / "etc/aide/aide.conf.d"
    aide_conf.mkdir(parents=True, exist_ok=True)
    (aide_conf / "99_comptoir_ab").write_text(AIDE_EXCLUDES)
    # Every mount point is in the slot: none can be made on a read-only root at boot.
    for _, path, mode in DATA_BINDS:
        if not (staging / path).is_dir():
            (staging / path).mkdir(parents=True)
            (staging / path).chmod(mode)


def audit_rules(run: Run, staging: Path) -> None:
    """auditd's rules file as augenrules makes it from rules.d, made now: at boot augenrules
    then finds "No change" and only loads it (it would rewrite a file that differs)."""
    run(["chroot", str(staging), "/bin/sh", "/sbin/augenrules"], stdout=subprocess.DEVNULL)
    null = staging / "dev/null"
    if null.is_file():  # the script's "> /dev/null" in a chroot with no /dev mounted
        null.unlink()


def make_data_tree(staging: Path, data: Path) -> None:
    """The data partition's first content: the root's own state folders, owners and modes kept."""
    data.mkdir()
    for name, path, mode in DATA_BINDS:
        src = staging / path
        if src.is_dir():
            subprocess.run(["cp", "-a", str(src), str(data / name)], check=True)
        else:
            (data / name).mkdir(mode=mode)
    (data / "rauc").mkdir(mode=0o700)


@dataclass
class AbDisk:
    """What the `ab` stage made (paths in its folder)."""

    disk: Path
    slot_image: Path
    layout: dict[str, object]
    bundle: Path | None


Run = Callable[..., subprocess.CompletedProcess[str]]


def build_ab(
    *,
    run: Run,
    out: Path,
    tarball: Path,
    esp: Path,
    kernel: Path,
    initrd: Path,
    slots: Slots,
    version: str,
    kernel_options: str,
    signing: Signing | None,
    env: dict[str, str],
    hash_seed: str,
    progress: Callable[[str], None],
) -> AbDisk:
    staging = out / "staging"
    staging.mkdir()
    unpack = ["--numeric-owner", "--same-permissions", "--xattrs", "--xattrs-include=security.capability"]
    run(["tar", "--extract", "--file", tarball, "--directory", staging, *unpack])
    make_slot_root(staging, slots, version, signing)
    audit_rules(run, staging)
    data_tree = out / "data-tree"
    make_data_tree(staging, data_tree)
    used = int(run(["du", "-s", "--block-size=1M", staging], capture_output=True).stdout.split()[0])
    slot_mib = int(used * 1.25) + 512
    progress(f"slot image {slot_mib} MiB (version {version}) and data partition {DATA_MIB_DEFAULT} MiB")
    slot_image = out / "rootfs.ext4"
    fake_time = {**env, "E2FSPROGS_FAKE_TIME": env.get("SOURCE_DATE_EPOCH", "0")}
    run(
        [
            "mkfs.ext4",
            "-q",
            "-L",
            "comptoir-root",
            "-E",
            f"hash_seed={hash_seed},root_owner=0:0",
            "-d",
            staging,
            slot_image,
            f"{slot_mib}M",
        ],
        env=fake_time,
    )
    data_image = out / "data.ext4"
    run(
        [
            "mkfs.ext4",
            "-q",
            "-L",
            "comptoir-data",
            "-E",
            "root_owner=0:0",
            "-d",
            data_tree,
            data_image,
            f"{DATA_MIB_DEFAULT}M",
        ],
        env=fake_time,
    )
    shutil.rmtree(staging)
    shutil.rmtree(data_tree)

    progress("ESP: systemd-boot, slot A's kernel and its blessed loader entry")
    mtools_env = {**env, "MTOOLS_SKIP_CHECK": "1"}
    entry = out / "comptoir-a.conf"
    entry.write_text(
        f"title Comptoir {version} (slot A)\nsort-key comptoir\nversion 1\n"
        "linux /comptoir-a/vmlinuz\ninitrd /comptoir-a/initrd.img\n"
        f"options root={slots.root('A')} rauc.slot=A {slot_options(kernel_options)}\n"
    )
    loader_conf = out / "loader.conf"
    # No `default`: systemd-boot takes the first entry in its order, which puts entries with no
    # tries left last and, among ours, the highest generation (`version`) first.
    loader_conf.write_text("timeout 0\nconsole-mode keep\neditor no\nauto-entries no\nauto-firmware no\n")
    run(["mmd", "-i", esp, "::/comptoir-a"], env=mtools_env)
    for src, dest in (
        (loader_conf, "::/loader/loader.conf"),
        (entry, "::/loader/entries/comptoir-a.conf"),
        (kernel, "::/comptoir-a/vmlinuz"),
        (initrd, "::/comptoir-a/initrd.img"),
    ):
        run(["mcopy", "-o", "-m", "-i", esp, src, dest], env=mtools_env)
    entry.unlink()
    loader_conf.unlink()

    esp_mib = esp.stat().st_size // MIB
    disk = out / "comptoir-ab.img"
    first = 1
    offsets = {
        "esp": first,
        "a": first + esp_mib,
        "b": first + esp_mib + slot_mib,
        "data": first + esp_mib + 2 * slot_mib,
    }
    total = offsets["data"] + DATA_MIB_DEFAULT + 1
    progress(f"GPT disk: ESP {esp_mib} + slots 2 x {slot_mib} + data {DATA_MIB_DEFAULT} MiB")
    with open(disk, "wb") as f:
        f.truncate(total * MIB)
    esp_type, root_type, data_type = (
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
        "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709",
        "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
    )
    parts = [
        ("esp", esp_mib, esp_type, slots.esp_uuid, "ESP"),
        ("a", slot_mib, root_type, slots.a_uuid, "comptoir-root-a"),
        ("b", slot_mib, root_type, slots.b_uuid, "comptoir-root-b"),
        ("data", DATA_MIB_DEFAULT, data_type, slots.data_uuid, "comptoir-data"),
    ]
    table = "label: gpt\nunit: sectors\n" + "".join(
        f'start={offsets[key] * 2048}, size={mib * 2048}, type={kind}, uuid={part_uuid}, name="{name}"\n'
        for key, mib, kind, part_uuid, name in parts
    )
    run(["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", disk], input=table)
    for part, offset in ((esp, offsets["esp"]), (slot_image, offsets["a"]), (data_image, offsets["data"])):
        run(["dd", f"if={part}", f"of={disk}", "bs=1M", f"seek={offset}", "conv=notrunc,sparse", "status=none"])
    data_image.unlink()

    bundle = None
    if signing is not None:
        bundle = make_bundle(run, out, slot_image, version, signing, env, progress)
    layout: dict[str, object] = {
        "esp_offset": offsets["esp"] * MIB,
        "esp_size": esp_mib * MIB,
        "slot_a_offset": offsets["a"] * MIB,
        "slot_b_offset": offsets["b"] * MIB,
        "slot_size": slot_mib * MIB,
        "data_offset": offsets["data"] * MIB,
        "data_size": DATA_MIB_DEFAULT * MIB,
        "version": version,
        "options": f"root={slots.root('A')} rauc.slot=A {slot_options(kernel_options)}",
        "bundle": bundle.name if bundle else None,
    }
    (out / "layout.json").write_text(json.dumps(layout, indent=2) + "\n")
    return AbDisk(disk=disk, slot_image=slot_image, layout=layout, bundle=bundle)


def make_bundle(
    run: Run,
    out: Path,
    slot_image: Path,
    version: str,
    signing: Signing,
    env: dict[str, str],
    progress: Callable[[str], None],
    *,
    name: str | None = None,
    compression: Sequence[str] = ("-comp", "zstd", "-Xcompression-level", "3"),
) -> Path:
    """A verity bundle of one slot image, signed; `rauc info` with the keyring checks it here."""
    content = out / "bundle-content"
    shutil.rmtree(content, ignore_errors=True)
    content.mkdir()
    (content / "manifest.raucm").write_text(
        "[update]\n"
        "compatible=comptoir-kiosk-x86_64\n"
        f"version={version}\n"
        "\n[bundle]\nformat=verity\n"
        "\n[image.rootfs]\nfilename=rootfs.ext4\n"
    )
    try:
        (content / "rootfs.ext4").hardlink_to(slot_image)
    except OSError:
        shutil.copyfile(slot_image, content / "rootfs.ext4")
    bundle = out / (name or f"comptoir-{version}.raucb")
    bundle.unlink(missing_ok=True)
    progress(f"signed bundle {bundle.name}")
    run(
        [
            "rauc",
            "bundle",
            f"--cert={signing.cert}",
            f"--key={signing.key}",
            f"--keyring={signing.keyring}",
            f"--mksquashfs-args={' '.join(compression)}",
            content,
            bundle,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(content)
    return bundle
