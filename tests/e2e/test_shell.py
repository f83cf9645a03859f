"""The kiosk shell for real: pywebview's GTK backend (WebKit2GTK) under Xvfb with a window
manager (matchbox, as cage is on the appliance), on a display number of its own; the app is
a separate `comptoir serve` process that the test stops and starts again.

The shell is run through `appliance.shell.run` with a probe thread (`then=`) that tries to
leave the app the way a page could: location changes, a target=_blank link, window.open, a
file: URL, and a link a (synthetic) user clicks with the mouse through xdotool.
Screenshots: test-artifacts/screens/shell-*.png.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.services import catalog
from appliance.app.services.setup import NewStore, init_store
from tests.e2e.conftest import ARTIFACTS, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not all(shutil.which(t) for t in ("Xvfb", "matchbox-window-manager", "xdotool", "import")),
        reason="needs xvfb, matchbox-window-manager, xdotool and imagemagick (tools/apt-packages.txt)",
    ),
]

SCREEN = (1280, 800)

# Runs in the shell process (its own thread, once the GUI loop is up); prints what it saw.
PROBE = r"""
import json, sys, time
from appliance import shell
from appliance.config import load

OUT = sys.argv[3]

def probe(window):
    window.events.loaded.wait(20)
    time.sleep(1.0)
    seen = {"start": window.get_current_url()}
    tries = {
        "location": 'window.location = "%(out)s"; "ok"',
        "assign": 'location.assign("%(out)sassign"); "ok"',
        "blank_link": 'var a = document.createElement("a"); a.href = "%(out)sblank"; a.target = "_blank";'
                      ' document.body.append(a); a.click(); "ok"',
        "window_open": 'String(window.open("%(out)sopen"))',
        "file_url": 'window.location = "file:///etc/passwd"; "ok"',
        "same_origin_blank": 'var b = document.createElement("a"); b.href = "/"; b.target = "_blank";'
                             ' document.body.append(b); b.click(); "ok"',
    }
    # run_js, not evaluate_js: pywebview's evaluate_js wraps the script in eval(), which the
    # app's CSP refuses (no 'unsafe-eval') even for the embedder.
    for name, script in tries.items():
        window.run_js(script)
        time.sleep(0.7)
        seen[name] = window.get_current_url()
    seen["dom_href"] = window.run_js("location.href")
    # A link a person taps: it covers the whole page, the test clicks it with xdotool.
    window.run_js(
        'var l = document.createElement("a"); l.id = "escape"; l.href = "%(out)sclicked"; l.textContent = "escape";'
        ' l.style.cssText = "position:fixed;inset:0;z-index:99999;display:block;background:#fff";'
        ' document.body.append(l); "ok"'
    )
    print("probe: link-ready", flush=True)
    time.sleep(3.0)
    seen["clicked"] = window.get_current_url()
    seen["session_storage"] = window.run_js(
        '(function () { try { sessionStorage.setItem("x", "1"); return sessionStorage.getItem("x"); }'
        ' catch (e) { return "error: " + e; } })()'
    )
    window.run_js('document.getElementById("escape").remove(); "ok"')
    print("probe: " + json.dumps(seen), flush=True)

sys.exit(shell.run(load(sys.argv[1], port=int(sys.argv[2])), then=probe))
""".replace("%(out)s", "' + OUT + '")


class Lines:
    """A subprocess's stdout, read by a thread, searchable while it runs."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        assert proc.stdout is not None
        stream = proc.stdout
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> tuple[int, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for i, line in enumerate(self.lines[start:], start):
                    if re.search(pattern, line):
                        return i, line
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s; got:\n" + "\n".join(self.lines))


class Outside:
    """A web server on another loopback address (another origin) that counts what reaches it."""

    def __init__(self) -> None:
        hits = self.hits = []  # type: list[str]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<h1>outside</h1>")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.url = f"http://127.0.0.2:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_display() -> int:
    for n in range(91, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private X server and window manager; never the host's display."""
    n = _free_display()
    name = f":{n}"
    xvfb = subprocess.Popen(
        ["Xvfb", name, "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if time.monotonic() > deadline or xvfb.poll() is not None:
            xvfb.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    wm = subprocess.Popen(
        ["matchbox-window-manager", "-use_titlebar", "no"],
        env={**os.environ, "DISPLAY": name},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield name
    finally:
        for proc in (wm, xvfb):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "appliance", "serve", "--data-dir", str(data_dir), "--port", str(port)],
        env={**os.environ, "COMPTOIR_MODE": "self_service"},
        stdout=subprocess.DEVNULL,
    )
    from appliance.shell import wait_healthy

    assert wait_healthy(f"http://127.0.0.1:{port}", timeout=20), "comptoir serve did not start"
    return proc


def _stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> int:
    proc.terminate()
    try:
        return proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(5)


def _xdo(display: str, *args: str) -> str:
    env = {**os.environ, "DISPLAY": display}
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, check=True, timeout=10).stdout


def _shoot(display: str, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    subprocess.run(["import", "-display", display, "-window", "root", str(path)], check=True, timeout=20)
    return path


def test_the_shell_is_fullscreen_locked_and_waits_for_the_server(
    display: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data_dir = tmp_path_factory.mktemp("shellstore")
    shop, _ = init_store(data_dir, NewStore(store_name="Kiosk Market"))
    catalog.import_csv(shop, None, "sku,name,price,barcodes\nBRD,Bread loaf,3.50,4006381333931\n")
    shop.close()
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    server = _serve(data_dir, port)
    env = {
        **os.environ,
        "DISPLAY": display,
        "GDK_BACKEND": "x11",
        "NO_AT_BRIDGE": "1",  # no accessibility bus in a test box: keeps GTK quiet
        "COMPTOIR_MODE": "self_service",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("WAYLAND_DISPLAY", None)
    outside = Outside()
    shell = subprocess.Popen(
        [sys.executable, "-c", PROBE, str(data_dir), str(port), outside.url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = Lines(shell)
    try:
        out.wait_for(r"shell: reusing the service", 20)
        out.wait_for(rf"shell: showing {re.escape(origin)}/selfservice", 30)

        # Full screen: the window's geometry is the screen's.
        windows = _xdo(display, "search", "--sync", "--onlyvisible", "--name", "Comptoir").split()
        assert len(windows) == 1, windows
        geometry = _xdo(display, "getwindowgeometry", windows[0])
        assert "Position: 0,0" in geometry, geometry
        assert f"Geometry: {SCREEN[0]}x{SCREEN[1]}" in geometry, geometry
        assert _xdo(display, "getdisplaygeometry").split() == [str(SCREEN[0]), str(SCREEN[1])]

        # A link a person clicks: a real pointer click on the page, through X.
        out.wait_for(r"probe: link-ready", 30)
        _xdo(display, "mousemove", "--sync", "400", "300", "click", "1")
        _, line = out.wait_for(r"probe: \{", 20)
        seen = json.loads(line.split("probe: ", 1)[1])
        app = f"{origin}/selfservice"
        for attempt in ("start", "location", "assign", "blank_link", "window_open", "file_url", "clicked"):
            assert seen[attempt] == app, (attempt, seen)
        assert seen["window_open"] == app
        refused = [ln for ln in out.lines if "refused navigation" in ln]
        # window.open never gets as far as the hook: javascript_can_open_windows_automatically
        # is off, so WebKit's popup blocker drops it (the URL check above covers it).
        for target in ("/assign", "/blank", "/clicked"):
            assert any(outside.url.rstrip("/") + target in ln for ln in refused), (target, seen, out.lines)
        assert any(f"refused navigation to {origin}/" in ln for ln in refused)  # a 2nd window, even ours
        assert outside.hits == [], "a request reached the other origin"
        time.sleep(0.5)
        _shoot(display, "shell-selfservice")

        # The server goes away: the shell shows its own page, then comes back by itself.
        mark = len(out.lines)
        _stop(server)
        out.wait_for(r"shell: showing please-wait", 15, mark)
        time.sleep(0.8)
        _shoot(display, "shell-please-wait")
        mark = len(out.lines)
        server = _serve(data_dir, port)
        out.wait_for(r"shell: service is back", 15, mark)
        out.wait_for(rf"shell: showing {re.escape(origin)}/selfservice", 15, mark)

        # systemd stops it with SIGTERM: a clean exit, code 0.
        shell.send_signal(signal.SIGTERM)
        assert shell.wait(15) == 0, "\n".join(out.lines)
    finally:
        if shell.poll() is None:
            _stop(shell)
        _stop(server)
        outside.close()
