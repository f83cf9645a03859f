"""Build the Comptoir kiosk image: a Debian 12 root provisioned by provisioning/site.yml,
as a reproducible tar and as a bootable x86-64 UEFI disk image, made without mounting anything.

Stages (each prints one progress line and is skipped when its inputs did not change):

  root        mmdebstrap bookworm minbase (+ kernel, systemd-boot-efi, python3), security repo included
  wheels      the Comptoir wheel and a wheelhouse of its pinned dependencies
  provision   site.yml through the chroot connection, the first-boot unit, clean-up for a read-only root
  tar         the root as a reproducible tar (sorted, fixed mtimes, numeric owners, no atime/ctime)
  disk        GPT (sfdisk on a file), vfat ESP (mkfs.vfat + mtools) with systemd-boot, ext4 root (mkfs.ext4 -d)
  manifest    every package and version, the app's Python packages, sha256 of the tar and the disk

Run as root (chroot and file ownership need it): `.venv/bin/python image/build.py` or `make image`.
Everything lands in build/image/ (git ignores build/).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a script, only image/ is on sys.path: its sibling module is taken as the tests take it.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from image import ab_disk  # noqa: E402

IMAGE_SRC = REPO / "image"
PROVISIONING = REPO / "provisioning"
DEFAULT_OUT = REPO / "build" / "image"
VENV_BIN = Path(sys.executable).parent

SUITE = "bookworm"
MIRROR = os.environ.get("COMPTOIR_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SECURITY_MIRROR = os.environ.get("COMPTOIR_DEBIAN_SECURITY_MIRROR", "http://deb.debian.org/debian-security")
# 2024-01-01T00:00:00Z unless the caller fixes another one.
DEFAULT_SOURCE_DATE_EPOCH = 1704067200

# What the root needs beyond minbase to boot and to be provisioned; site.yml installs the rest.
ROOT_PACKAGES = [
    "systemd-sysv",
    "udev",
    "dbus",
    "kmod",
    "linux-image-amd64",
    "initramfs-tools",
    "systemd-boot-efi",
    "e2fsprogs",
    "python3",
    "python3-apt",
    "iproute2",
    "procps",
]

# Bump a stage's recipe when its code here changes: that stage and the ones after it run again.
ROOT_RECIPE = "root-1"
PROVISION_RECIPE = "provision-3"
TAR_RECIPE = "tar-1"
DISK_RECIPE = "disk-2"
AB_RECIPE = "ab-1"

# GPT type GUIDs (UEFI spec; Discoverable Partitions Specification for the x86-64 root).
ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
ROOT_TYPE = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
MIB = 1024 * 1024
ESP_MIB = 192
# What the A/B image adds to the root, beside site.yml: RAUC (rauc-service: its D-Bus service,
# which `rauc install` talks to), and systemd-boot's userland
# (systemd-bless-boot marks a counted boot good once boot-complete.target is reached).
AB_PACKAGES = ["rauc", "rauc-service", "systemd-boot"]
# Kernel command line of the loader entry (the root is given by UUID, see disk stage).
KERNEL_OPTIONS = "rw console=tty0 console=ttyS0,115200 quiet loglevel=4"


class BuildError(Exception):
    """A stage could not run; the message says which and why."""


def progress(stage: str, message: str) -> None:
    print(f"[image] {stage:<9} {message}", flush=True)


def run(cmd: Sequence[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    args = [str(c) for c in cmd]
    try:
        return subprocess.run(args, check=True, text=True, **kwargs)  # type: ignore[call-overload,no-any-return]
    except subprocess.CalledProcessError as exc:
        raise BuildError(f"{' '.join(args[:3])}… exited {exc.returncode}") from None


def hash_files(paths: Iterable[Path], base: Path) -> str:
    """sha256 over the relative names and contents of files (directories walked, sorted)."""
    digest = hashlib.sha256()
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        elif path.exists():
            files.append(path)
    for f in sorted(files):
        # A file outside the repository (a --vars file of the site's) by its whole name.
        digest.update(str(f.relative_to(base) if f.is_relative_to(base) else f.resolve()).encode() + b"\0")
        digest.update(hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


def derived_uuid(seed: str, name: str) -> str:
    """A UUID that depends only on the build's inputs (reproducible disk identifiers)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"comptoir-image:{seed}:{name}"))


def remove_tree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def share_debs(src: Path, dest: Path) -> None:
    """Hard-link the .deb files of src into dest (same file system: no copy)."""
    dest.mkdir(parents=True, exist_ok=True)
    for deb in src.glob("*.deb"):
        target = dest / deb.name
        if not target.exists():
            try:
                os.link(deb, target)
            except OSError:
                shutil.copy2(deb, target)


@dataclass
class Stage:
    """A cached stage: its output lives in a folder holding a .key of its inputs."""

    name: str
    out: Path
    key: str
    outputs: list[str] = field(default_factory=list)

    def fresh(self) -> bool:
        stamp = self.out / ".key"
        return (
            stamp.exists()
            and stamp.read_text().strip() == self.key
            and all((self.out / o).exists() for o in self.outputs)
        )

    def begin(self) -> Path:
        remove_tree(self.out)
        self.out.mkdir(parents=True)
        return self.out

    def done(self) -> None:
        (self.out / ".key").write_text(self.key + "\n")


@dataclass
class Build:
    out: Path
    epoch: int
    vars_files: list[Path]
    no_cache: bool = False
    version: str = "0"
    signing: ab_disk.Signing | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "ANSIBLE_", "PYTHON"))}
        env.update(SOURCE_DATE_EPOCH=str(self.epoch), LC_ALL="C.UTF-8", TZ="UTC")
        return env

    def stage(self, name: str, key_parts: Sequence[str], outputs: Sequence[str]) -> Stage:
        key = hashlib.sha256("\0".join([name, *key_parts]).encode()).hexdigest()
        return Stage(name, self.out / name, key, list(outputs))

    def skip(self, stage: Stage) -> bool:
        if not self.no_cache and stage.fresh():
            progress(stage.name, f"unchanged (inputs {stage.key[:12]}), kept")
            return True
        return False

    def timed(self, name: str, started: float) -> None:
        self.timings[name] = round(time.monotonic() - started, 1)
        progress(name, f"done in {self.timings[name]:.0f} s")

    # -- root ---------------------------------------------------------------------------------------

    def root(self) -> Stage:
        stage = self.stage(
            "root", [ROOT_RECIPE, SUITE, MIRROR, SECURITY_MIRROR, str(self.epoch), *ROOT_PACKAGES], ["rootfs"]
        )
        if self.skip(stage):
            return stage
        started = time.monotonic()
        progress("root", f"mmdebstrap {SUITE} minbase + {len(ROOT_PACKAGES)} packages (security repo included)")
        out = stage.begin()
        rootfs = out / "rootfs"
        sources = "\n".join(
            [
                f"deb {MIRROR} {SUITE} main",
                f"deb {MIRROR} {SUITE}-updates main",
                f"deb {SECURITY_MIRROR} {SUITE}-security main",
            ]
        )
        # mmdebstrap mounts /proc, /sys and /dev into the root while packages install: it runs in a
        # private mount namespace so that nothing of it can reach the host's mount table.
        run(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "mmdebstrap",
                "--quiet",
                "--mode=root",
                "--variant=minbase",
                "--format=directory",
                "--aptopt=Acquire::Retries=3",
                "--dpkgopt=path-exclude=/usr/share/doc/*",
                "--dpkgopt=path-include=/usr/share/doc/*/copyright",
                "--dpkgopt=path-exclude=/usr/share/man/*",
                f"--include={','.join(ROOT_PACKAGES)}",
                SUITE,
                rootfs,
                "-",
            ],
            input=sources + "\n",
            env=self.env(),
            timeout=1800,
        )
        # mmdebstrap keeps services from starting while it installs, then removes its guard: put one back
        # for the provisioning stage (finish_root removes it at the end).
        policy = rootfs / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\n# no service starts while the image is built\nexit 101\n")
        policy.chmod(0o755)
        stage.done()
        self.timed("root", started)
        return stage

    # -- wheels -------------------------------------------------------------------------------------

    def wheels(self) -> Stage:
        runtime = REPO / "requirements/runtime.txt"
        with open(REPO / "pyproject.toml", "rb") as f:
            extras = tomllib.load(f)["project"].get("optional-dependencies", {})
        window = list(extras.get("window", []))
        deps_key = hashlib.sha256(runtime.read_bytes() + "".join(window).encode()).hexdigest()[:16]
        app_key = hash_files([REPO / "appliance", REPO / "pyproject.toml", REPO / "policies"], REPO)
        stage = self.stage("wheels", [deps_key, app_key, str(self.epoch)], ["app", "deps"])
        if self.skip(stage):
            return stage
        started = time.monotonic()
        out = stage.begin()
        progress("wheels", "the Comptoir wheel and the wheelhouse of its pinned dependencies")
        # The wheelhouse is kept by its lock file's hash (build/image/wheelhouse/deps-KEY), apart from the
        # app's wheel; the provisioning tests keep the same one in build/wheelhouse: reuse either.
        deps = self.out / "wheelhouse" / f"deps-{deps_key}"
        shared = REPO / "build/wheelhouse" / f"deps-{deps_key}"
        if not deps.is_dir() and shared.is_dir():
            shutil.copytree(shared, deps)
        if not deps.is_dir():
            tmp = deps.with_name(deps.name + ".tmp")
            remove_tree(tmp)
            run(
                [sys.executable, "-m", "pip", "wheel", "-q", "-w", tmp, "-r", runtime, *window],
                env=self.env(),
                timeout=900,
            )
            tmp.rename(deps)
        shutil.copytree(deps, out / "deps", copy_function=os.link)
        # A clean copy of the sources, so that no stale build/ folder of the checkout leaks into the wheel.
        src = out / "src"
        shutil.copytree(REPO / "appliance", src / "appliance", ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "README.md"):
            if (REPO / name).exists():
                shutil.copy2(REPO / name, src / name)
        run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out / "app", src],
            env=self.env(),
            timeout=600,
        )
        shutil.rmtree(src)
        stage.done()
        self.timed("wheels", started)
        return stage

    # -- provision ----------------------------------------------------------------------------------

    def inventory(self) -> Path:
        return PROVISIONING / "inventory/image/hosts.yml"

    def provision(self, root: Stage, wheels: Stage) -> Stage:
        inputs = hash_files(
            [PROVISIONING, IMAGE_SRC / "files", *self.vars_files],
            REPO,
        )
        stage = self.stage("provision", [PROVISION_RECIPE, root.key, wheels.key, inputs], ["rootfs"])
        if self.skip(stage):
            return stage
        started = time.monotonic()
        out = stage.begin()
        rootfs = out / "rootfs"
        progress("provision", "copy of the base root")
        run(["cp", "-a", "--reflink=auto", root.out / "rootfs", rootfs])
        # Name resolution and package lists for apt inside the root (mmdebstrap leaves neither);
        # finish_root removes both.
        resolv = rootfs / "etc/resolv.conf"
        resolv.unlink(missing_ok=True)
        shutil.copyfile("/etc/resolv.conf", resolv)
        self.chroot(rootfs, "apt-get", "-q", "-o", "Acquire::Retries=3", "update")
        # .deb files kept from earlier builds: apt takes them instead of downloading again.
        archives = rootfs / "var/cache/apt/archives"
        share_debs(self.out / "apt-archives", archives)
        (app_wheel,) = sorted((wheels.out / "app").glob("comptoir-*.whl"))
        progress("provision", f"site.yml through the chroot connection ({app_wheel.name})")
        cmd: list[str | Path] = [
            VENV_BIN / "ansible-playbook",
            "-i",
            self.inventory(),
            PROVISIONING / "site.yml",
            "-e",
            f"ansible_host={rootfs}",
            "-e",
            f"pos_app_wheel={app_wheel}",
            "-e",
            f"pos_app_wheelhouse={wheels.out / 'deps'}",
        ]
        for extra in self.vars_files:
            cmd += ["-e", f"@{extra}"]
        env = self.env()
        env.update(
            ANSIBLE_CONFIG=str(PROVISIONING / "ansible.cfg"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
            ANSIBLE_DISPLAY_SKIPPED_HOSTS="false",
            PATH=f"{VENV_BIN}:{env.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}",
        )
        log = out / "ansible.log"
        with open(log, "w") as f:
            proc = subprocess.run(
                [str(c) for c in cmd], cwd=PROVISIONING, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=3600
            )
        if proc.returncode != 0:
            tail = "\n".join(log.read_text().splitlines()[-40:])
            raise BuildError(f"provision: site.yml failed (full log {log}):\n{tail}")
        progress("provision", f"A/B update tools: {', '.join(AB_PACKAGES)}")
        self.chroot(rootfs, "apt-get", "-q", "-y", "--no-install-recommends", "install", *AB_PACKAGES)
        share_debs(archives, self.out / "apt-archives")
        progress("provision", "first-boot, self-test, power-cut and health units, clean-up for a read-only root")
        self.install_image_files(rootfs)
        self.finish_root(rootfs)
        stage.done()
        self.timed("provision", started)
        return stage

    def install_image_files(self, rootfs: Path) -> None:
        """image/files/ is laid over the root (owner root, modes kept), then its units are enabled."""
        files = IMAGE_SRC / "files"
        for src in sorted(files.rglob("*")):
            dest = rootfs / src.relative_to(files)
            if src.is_dir():
                dest.mkdir(mode=0o755, exist_ok=True)
                continue
            shutil.copyfile(src, dest)
            dest.chmod(0o755 if os.access(src, os.X_OK) else 0o644)
            os.chown(dest, 0, 0)
        for unit in (
            "comptoir-firstboot.service",
            "comptoir-selftest.service",
            "comptoir-powercut.service",
            "comptoir-health.service",
            "comptoir-machine-id.service",
            "comptoir-abtest.service",
        ):
            self.chroot(rootfs, "systemctl", "enable", "--quiet", unit)

    def chroot(self, rootfs: Path, *cmd: str) -> None:
        # No /proc, /sys or /dev is mounted: the commands used here need none of them.
        run(
            ["chroot", rootfs, *cmd],
            env={**self.env(), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
            stdout=subprocess.DEVNULL,
        )

    def finish_root(self, rootfs: Path) -> None:
        """Leave no build-time state and nothing that differs between two builds."""
        epoch_day = self.epoch // 86400
        # A machine id is made at first boot (empty file: systemd's first-boot semantics).
        (rootfs / "etc/machine-id").write_text("")
        for path in ("var/lib/dbus/machine-id",):
            (rootfs / path).unlink(missing_ok=True)
        # Bytecode: delete what was compiled at build time (it holds build-time mtimes) and compile again
        # as checked-hash pycs, valid whatever the files' mtimes and identical from one build to the next.
        for pyc_dir in list(rootfs.glob("usr/lib/python3*/**/__pycache__")) + list(
            rootfs.glob("opt/comptoir/**/__pycache__")
        ):
            shutil.rmtree(pyc_dir, ignore_errors=True)
        self.chroot(
            rootfs,
            "python3",
            "-m",
            "compileall",
            "-q",
            "-j1",
            "--invalidation-mode",
            "checked-hash",
            "/usr/lib/python3",
            "/usr/lib/python3.11",
            "/opt/comptoir/lib",
        )
        # Shadow's "last change" of every account, as of SOURCE_DATE_EPOCH. An account without a password
        # (locked: "!" or "*") gets no maximum age: useradd copied login.defs' PASS_MAX_DAYS onto the kiosk
        # user, whose "password" then expires 90 days after the build and PAM refuses its autologin session.
        shadow = rootfs / "etc/shadow"
        lines = []
        for line in shadow.read_text().splitlines():
            parts = line.split(":")
            if len(parts) > 4 and parts[2]:
                parts[2] = str(epoch_day)
                if parts[1].startswith(("!", "*")) and parts[4]:
                    parts[3], parts[4], parts[5] = "", "", ""
            lines.append(":".join(parts))
        shadow.write_text("\n".join(lines) + "\n")
        # Caches, logs and lists that the box rebuilds (apt update) or writes again.
        for pattern in (
            "var/lib/apt/lists/*",
            "var/cache/apt/*.bin",
            "var/cache/apt/archives/*.deb",
            "var/cache/debconf/*-old",
            "var/lib/dpkg/*-old",
            "var/cache/ldconfig/aux-cache",
            "var/cache/comptoir/wheels/*",
            "var/log/*.log",
            "var/log/apt/*",
            "var/log/journal/*",
            "root/.ansible",
            "root/.cache",
            "tmp/*",
            "var/tmp/*",
            "etc/*-",
            "etc/ssh/ssh_host_*",
            "var/lib/systemd/random-seed",
            "var/lib/systemd/credential.secret",
            "var/lib/aide/aide.db*",
        ):
            for found in rootfs.glob(pattern):
                if found.name in ("lock", "partial", "auxfiles"):
                    continue
                remove_tree(found)
        # The build host's resolver goes; dhcpcd writes the box's own from its lease at boot
        # (into this very file: its unit leaves /etc read-only but for it).
        resolv = rootfs / "etc/resolv.conf"
        resolv.unlink(missing_ok=True)
        resolv.write_text("")
        resolv.chmod(0o644)
        # Services may start at boot again.
        (rootfs / "usr/sbin/policy-rc.d").unlink()
        # fstab: the root by its file system label (the disk stage names it); the ESP is not mounted.
        (rootfs / "etc/fstab").write_text(
            "# The root file system (ext4); state lives under /var/lib and /var/log.\n"
            "LABEL=comptoir-root / ext4 defaults,errors=remount-ro 0 1\n"
        )
        # Every mtime pinned to SOURCE_DATE_EPOCH (the tar does the same; the ext4 image relies on this).
        run(["find", rootfs, "-newermt", f"@{self.epoch}", "-exec", "touch", "-h", "-d", f"@{self.epoch}", "{}", "+"])

    # -- tar ----------------------------------------------------------------------------------------

    def tar(self, prov: Stage) -> Stage:
        stage = self.stage("tar", [TAR_RECIPE, prov.key], ["comptoir-root.tar"])
        if self.skip(stage):
            return stage
        started = time.monotonic()
        out = stage.begin()
        progress("tar", "the root as a reproducible tar")
        tarball = out / "comptoir-root.tar"
        # Owners stay numeric (not forced to 0: /var/lib/comptoir belongs to the service user).
        run(
            [
                "tar",
                "--create",
                "--file",
                tarball,
                "--directory",
                prov.out / "rootfs",
                "--sort=name",
                f"--mtime=@{self.epoch}",
                "--numeric-owner",
                "--format=posix",
                "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
                "--xattrs",
                "--xattrs-include=security.capability",
                "--one-file-system",
                ".",
            ],
            env=self.env(),
        )
        stage.done()
        self.timed("tar", started)
        return stage

    # -- disk ---------------------------------------------------------------------------------------

    def disk(self, prov: Stage, tar: Stage) -> Stage:
        stage = self.stage("disk", [DISK_RECIPE, tar.key, str(ESP_MIB), KERNEL_OPTIONS], ["comptoir.img"])
        if self.skip(stage):
            return stage
        started = time.monotonic()
        out = stage.begin()
        rootfs = prov.out / "rootfs"
        seed = prov.key
        kernels = sorted((rootfs / "boot").glob("vmlinuz-*"))
        if not kernels:
            raise BuildError("disk: no kernel in the root's /boot")
        kernel = kernels[-1]
        version = kernel.name.removeprefix("vmlinuz-")
        initrd = rootfs / "boot" / f"initrd.img-{version}"
        if not initrd.exists():
            raise BuildError(f"disk: no initramfs for {version}")

        progress("disk", f"ESP: systemd-boot, kernel {version}, initramfs (mkfs.vfat + mtools)")
        esp = self.esp_image(out / "esp.vfat", seed, rootfs)
        fs_uuid = derived_uuid(seed, "root-fs")
        loader = out / "loader"
        (loader / "entries").mkdir(parents=True)
        (loader / "loader.conf").write_text("default comptoir.conf\ntimeout 0\nconsole-mode keep\neditor no\n")
        (loader / "entries/comptoir.conf").write_text(
            f"title Comptoir\nlinux /comptoir/vmlinuz\ninitrd /comptoir/initrd.img\n"
            f"options root=UUID={fs_uuid} {KERNEL_OPTIONS}\n"
        )
        mtools_env = {**self.env(), "MTOOLS_SKIP_CHECK": "1"}
        run(["mmd", "-i", esp, "::/comptoir"], env=mtools_env)
        for src, dest in (
            (loader / "loader.conf", "::/loader/loader.conf"),
            (loader / "entries/comptoir.conf", "::/loader/entries/comptoir.conf"),
            (kernel, "::/comptoir/vmlinuz"),
            (initrd, "::/comptoir/initrd.img"),
        ):
            run(["mcopy", "-m", "-i", esp, src, dest], env=mtools_env)
        shutil.rmtree(loader)

        # mkfs.ext4 -d takes files in readdir order, which follows creation order in small folders: the
        # root is unpacked from the sorted tar first, so that the file system (inode numbers, folder
        # layout) depends only on the tar, like the tar depends only on the inputs.
        progress("disk", "ext4 root from the unpacked tar (mkfs.ext4 -d, nothing mounted)")
        staging = out / "staging"
        staging.mkdir()
        unpack = ["--numeric-owner", "--same-permissions", "--xattrs", "--xattrs-include=security.capability"]
        run(["tar", "--extract", "--file", tar.out / "comptoir-root.tar", "--directory", staging, *unpack])
        used = int(run(["du", "-s", "--block-size=1M", staging], capture_output=True).stdout.split()[0])
        root_mib = int(used * 1.25) + 512
        rootimg = out / "root.ext4"
        run(
            [
                "mkfs.ext4",
                "-q",
                "-L",
                "comptoir-root",
                "-U",
                fs_uuid,
                "-E",
                f"hash_seed={derived_uuid(seed, 'hash-seed')},root_owner=0:0",
                "-d",
                staging,
                rootimg,
                f"{root_mib}M",
            ],
            env={**self.env(), "E2FSPROGS_FAKE_TIME": str(self.epoch)},
        )
        shutil.rmtree(staging)

        progress("disk", f"GPT disk: ESP {ESP_MIB} MiB + root {root_mib} MiB (sfdisk on a file)")
        disk = out / "comptoir.img"
        first = 1  # MiB: the partitions start at 1 MiB
        total = first + ESP_MIB + root_mib + 1
        with open(disk, "wb") as f:
            f.truncate(total * MIB)
        table = (
            "label: gpt\n"
            f"label-id: {derived_uuid(seed, 'disk')}\n"
            "unit: sectors\n"
            f"start={first * 2048}, size={ESP_MIB * 2048}, type={ESP_TYPE}, "
            f'uuid={derived_uuid(seed, "esp-part")}, name="ESP"\n'
            f"start={(first + ESP_MIB) * 2048}, size={root_mib * 2048}, type={ROOT_TYPE}, "
            f'uuid={derived_uuid(seed, "root-part")}, name="comptoir-root"\n'
        )
        run(["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", disk], input=table)
        for part, offset in ((esp, first), (rootimg, first + ESP_MIB)):
            run(["dd", f"if={part}", f"of={disk}", "bs=1M", f"seek={offset}", "conv=notrunc,sparse", "status=none"])
            part.unlink()
        (out / "layout.json").write_text(
            json.dumps(
                {
                    "esp_offset": first * MIB,
                    "esp_size": ESP_MIB * MIB,
                    "root_offset": (first + ESP_MIB) * MIB,
                    "root_size": root_mib * MIB,
                    "root_fs_uuid": fs_uuid,
                    "kernel": version,
                    "options": f"root=UUID={fs_uuid} {KERNEL_OPTIONS}",
                },
                indent=2,
            )
            + "\n"
        )
        stage.done()
        self.timed("disk", started)
        return stage

    def esp_image(self, esp: Path, seed: str, rootfs: Path) -> Path:
        """An empty FAT32 ESP with systemd-boot as the removable-media loader (mkfs.vfat + mtools)."""
        with open(esp, "wb") as f:
            f.truncate(ESP_MIB * MIB)
        volume_id = derived_uuid(seed, "esp").replace("-", "")[:8]
        run(["mkfs.vfat", "-F", "32", "-n", "ESP", "-i", volume_id, "--invariant", esp], stdout=subprocess.DEVNULL)
        efi = rootfs / "usr/lib/systemd/boot/efi/systemd-bootx64.efi"
        mtools_env = {**self.env(), "MTOOLS_SKIP_CHECK": "1"}
        for folder in ("::/EFI", "::/EFI/BOOT", "::/EFI/systemd", "::/loader", "::/loader/entries"):
            run(["mmd", "-i", esp, folder], env=mtools_env)
        for src, dest in ((efi, "::/EFI/BOOT/BOOTX64.EFI"), (efi, "::/EFI/systemd/systemd-bootx64.efi")):
            run(["mcopy", "-m", "-i", esp, src, dest], env=mtools_env)
        return esp

    # -- ab -----------------------------------------------------------------------------------------

    def ab(self, prov: Stage, tar: Stage) -> Stage:
        """The A/B disk (two root slots, a data partition) and, when the builder gave a signing
        key, the signed RAUC bundle of the same slot image."""
        signing = self.signing
        sign_key = [hash_files([signing.cert, signing.keyring], REPO)] if signing else ["unsigned"]
        recipe = hash_files([IMAGE_SRC / "ab_disk.py"], REPO)  # what the stage adds to the slot
        stage = self.stage(
            "ab",
            [AB_RECIPE, recipe, tar.key, self.version, KERNEL_OPTIONS, *sign_key],
            ["comptoir-ab.img", "rootfs.ext4"],
        )
        # A fresh disk whose signed bundle is missing is built again: `skip` (and its
        # "unchanged") only when nothing is.
        if (signing is None or any(stage.out.glob("*.raucb"))) and self.skip(stage):
            return stage
        started = time.monotonic()
        out = stage.begin()
        rootfs = prov.out / "rootfs"
        seed = prov.key
        kernel = sorted((rootfs / "boot").glob("vmlinuz-*"))[-1]
        initrd = rootfs / "boot" / f"initrd.img-{kernel.name.removeprefix('vmlinuz-')}"
        esp = self.esp_image(out / "esp.vfat", seed + ":ab", rootfs)
        slots = ab_disk.Slots(
            esp_uuid=derived_uuid(seed, "ab-esp-part"),
            a_uuid=derived_uuid(seed, "ab-root-a"),
            b_uuid=derived_uuid(seed, "ab-root-b"),
            data_uuid=derived_uuid(seed, "ab-data"),
        )
        ab_disk.build_ab(
            run=run,
            out=out,
            tarball=tar.out / "comptoir-root.tar",
            esp=esp,
            kernel=kernel,
            initrd=initrd,
            slots=slots,
            version=self.version,
            kernel_options=KERNEL_OPTIONS,
            signing=signing,
            env=self.env(),
            hash_seed=derived_uuid(seed, f"ab-hash-seed:{self.version}"),
            progress=lambda message: progress("ab", message),
        )
        esp.unlink()
        stage.done()
        self.timed("ab", started)
        return stage

    # -- manifest -----------------------------------------------------------------------------------

    def manifest(self, prov: Stage, tar: Stage, disk: Stage) -> Path:
        progress("manifest", "packages, versions and checksums")
        rootfs = prov.out / "rootfs"
        packages = run(
            [
                "dpkg-query",
                "-W",
                f"--admindir={rootfs / 'var/lib/dpkg'}",
                "-f",
                "${Package}\t${Version}\t${Architecture}\n",
            ],
            capture_output=True,
        ).stdout
        (self.out / "manifest.txt").write_text(packages)
        python = []
        for dist in sorted(rootfs.glob("opt/comptoir/lib/python3*/site-packages/*.dist-info")):
            name, _, version = dist.name.removesuffix(".dist-info").partition("-")
            python.append(f"{name}\t{version}\n")
        (self.out / "manifest-python.txt").write_text("".join(python))
        sums = {
            "comptoir-root.tar": sha256_file(tar.out / "comptoir-root.tar"),
            "comptoir.img": sha256_file(disk.out / "comptoir.img"),
        }
        (self.out / "SHA256SUMS").write_text(
            f"{sums['comptoir-root.tar']}  tar/comptoir-root.tar\n{sums['comptoir.img']}  disk/comptoir.img\n"
        )
        summary = {
            "source_date_epoch": self.epoch,
            "packages": len(packages.splitlines()),
            "python_packages": len(python),
            "sha256": sums,
            "sizes": {
                "comptoir-root.tar": (tar.out / "comptoir-root.tar").stat().st_size,
                "comptoir.img": (disk.out / "comptoir.img").stat().st_size,
                "comptoir.img (allocated)": (disk.out / "comptoir.img").stat().st_blocks * 512,
            },
            "stage_seconds": self.timings,
        }
        (self.out / "build.json").write_text(json.dumps(summary, indent=2) + "\n")
        for name, digest in sums.items():
            progress("manifest", f"{name} sha256 {digest}")
        return self.out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="image/build.py", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="build folder (default build/image)")
    parser.add_argument(
        "--vars",
        type=Path,
        action="append",
        default=[],
        help="extra Ansible variables file (a store's allow-list, USB devices…); repeatable",
    )
    parser.add_argument("--no-cache", action="store_true", help="run every stage even when its inputs are unchanged")
    parser.add_argument("--version", help="the image's version (default: the project's, from pyproject.toml)")
    parser.add_argument(
        "--signing-key",
        type=Path,
        default=os.environ.get("COMPTOIR_SIGNING_KEY") or None,
        help="bundle signing key (PEM)",
    )
    parser.add_argument(
        "--signing-cert", type=Path, default=os.environ.get("COMPTOIR_SIGNING_CERT") or None, help="its certificate"
    )
    parser.add_argument(
        "--keyring",
        type=Path,
        default=os.environ.get("COMPTOIR_KEYRING") or None,
        help="the CA certificates the boxes trust for updates (put in the image)",
    )
    args = parser.parse_args(argv)
    given = [a for a in (args.signing_key, args.signing_cert, args.keyring) if a is not None]
    if given and len(given) != 3:
        print("image/build.py: --signing-key, --signing-cert and --keyring go together", file=sys.stderr)
        return 2
    for path in given:
        if not path.is_file():
            print(f"image/build.py: {path}: no such file", file=sys.stderr)
            return 2
    signing = (
        ab_disk.Signing(args.signing_key.resolve(), args.signing_cert.resolve(), args.keyring.resolve())
        if given
        else None
    )
    with open(REPO / "pyproject.toml", "rb") as f:
        project_version = str(tomllib.load(f)["project"]["version"])
    if os.geteuid() != 0:
        print("image/build.py: run as root (chroot, file ownership)", file=sys.stderr)
        return 2
    tools = ["mmdebstrap", "mkfs.vfat", "mcopy", "sfdisk", "mkfs.ext4", "unshare"] + (
        ["rauc", "mksquashfs"] if given else []
    )
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        print(f"image/build.py: missing {', '.join(missing)}: run `make system-deps`", file=sys.stderr)
        return 2
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH))
    build = Build(
        out=args.out.resolve(),
        epoch=epoch,
        vars_files=[v.resolve() for v in args.vars],
        no_cache=args.no_cache,
        version=args.version or project_version,
        signing=signing,
    )
    build.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        root = build.root()
        wheels = build.wheels()
        prov = build.provision(root, wheels)
        tar = build.tar(prov)
        disk = build.disk(prov, tar)
        build.ab(prov, tar)
        build.manifest(prov, tar, disk)
    except BuildError as exc:
        print(f"image/build.py: {exc}", file=sys.stderr)
        return 1
    progress("image", f"built in {time.monotonic() - started:.0f} s: {build.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
