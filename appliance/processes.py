"""Child processes of a demo (`comptoir demo`, `comptoir demo-store`): started so that they end
with us however we end, stopped in order, and SIGTERM/SIGHUP taken as Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def stopped_by_term_and_hup() -> Iterator[None]:
    """SIGTERM (`kill`, an editor's stop button, make passing it on) and SIGHUP (the terminal
    closed) stop the demo as Ctrl-C does, through every `finally`: Python's default for them ends
    the process on the spot and left the simulated acquirer running. While uvicorn serves it
    catches SIGTERM itself, stops, and raises it again: it lands here then. SIGHUP is taken as
    SIGTERM, so that uvicorn stops the same way."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    def hang_up(signum: int, frame: object) -> None:
        signal.raise_signal(signal.SIGTERM)

    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, stop),
        signal.SIGHUP: signal.signal(signal.SIGHUP, hang_up),
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the simulator binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A loopback port nobody listens on, for a server about to start. Not bind(0): the port it
    gives is in the kernel's ephemeral range, from which every outgoing connection of this machine
    takes its own port, and one can take it between our close and the server's bind (the likely
    end of a test office that failed to start). Below that range only listeners take ports: one
    is picked there at random and checked."""
    low = _ephemeral_ports_start()
    draw = random.SystemRandom()
    for _ in range(100):
        port = draw.randrange(max(1024, low - 12000), low) if low > 2048 else 0
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError("no free loopback port below the ephemeral range")


def _ephemeral_ports_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default, and below the IANA range (49152) of other systems


def ended_with_us() -> Callable[[], None] | None:
    """For Popen's preexec_fn: the child is sent SIGTERM when this process ends, however it
    ends (SIGKILL, the window's os._exit after a stuck close), so nothing is left behind."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def in_child() -> None:
        prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # we were already gone before that took effect
            os._exit(1)

    return in_child


def stop_child(proc: subprocess.Popen[str]) -> None:
    """SIGTERM, 5 s to stop, then SIGKILL; a second Ctrl-C while waiting goes straight to SIGKILL."""
    try:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
