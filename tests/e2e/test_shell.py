"""The kiosk shell for real: pywebview's GTK backend (WebKit2GTK) under Xvfb with a window
manager (matchbox, as cage is on the appliance), on a display number of its own; the app is
a separate `comptoir serve` process that the test stops and starts again.

The shell is run through `appliance.shell.run` with a probe thread (`then=`) that tries to
leave the app the way a page could: location changes, a target=_blank link, window.open, a
file: URL, and a link a (synthetic) user clicks with the mouse through xdotool.

The staffed mode (the default) is driven as a cashier would: keystrokes through X only
(xdotool), from the login to a cash sale and a parked one; the test looks at the page through
a console on the shell's stdin (never acting with it) and checks the sales on the server.
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
from typing import Any

import pytest

from appliance.app.services import catalog, users
from appliance.app.services.setup import NewStore, init_store
from tests.conftest import set_cash_needs_shift, set_locale
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


def _serve(data_dir: Path, port: int, mode: str | None = "self_service") -> subprocess.Popen[bytes]:
    """`comptoir serve` in `mode` (None: the default, staffed)."""
    env = {**os.environ, "COMPTOIR_MODE": mode or ""}
    if mode is None:
        del env["COMPTOIR_MODE"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "appliance", "serve", "--data-dir", str(data_dir), "--port", str(port)],
        env=env,
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


# Runs in the shell process: a console on stdin for the test to look at the page (never to
# act on it: every action goes through X as keystrokes). One JSON-encoded script a line,
# "url" for the window's URL; each answer is printed as `console N: <json>`.
CONSOLE = r"""
import json, sys
from appliance import shell
from appliance.config import load

def console(window):
    window.events.loaded.wait(20)
    print("console: ready", flush=True)
    for n, line in enumerate(sys.stdin):
        script = json.loads(line)
        try:
            value = window.get_current_url() if script == "url" else window.run_js(script)
        except Exception as exc:
            value = "error: %s" % exc
        print("console %d: %s" % (n, json.dumps(value)), flush=True)

sys.exit(shell.run(load(sys.argv[1], port=int(sys.argv[2])), then=console))
"""

CASHIER = ("lea", "Till-pass-2024")
MANAGER = ("max", "Boss-pass-2024")
BREAD = "4006381333931"  # 3.50, exempt
COFFEE = "5901234123457"  # 18.99, standard tax


class Console:
    """The test's side of CONSOLE: ask the page a question, wait for its answer."""

    def __init__(self, proc: subprocess.Popen[str], out: Lines) -> None:
        self.proc, self.out, self.asked = proc, out, 0

    def ask(self, script: str) -> Any:
        assert self.proc.stdin is not None
        n, self.asked = self.asked, self.asked + 1
        self.proc.stdin.write(json.dumps(script) + "\n")
        self.proc.stdin.flush()
        _, line = self.out.wait_for(rf"^console {n}: ", 10)
        return json.loads(line.split(": ", 1)[1])

    def until(self, script: str, expected: Any, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while True:
            value = self.ask(script)
            if value == expected:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{script} is {value!r}, not {expected!r}, after {timeout} s")
            time.sleep(0.1)


FOCUS = "document.activeElement ? document.activeElement.id : ''"
TOTAL = 'document.getElementById("t-total").textContent'


def _pixel(display: str, x: int, y: int) -> tuple[int, int, int]:
    """The colour of one pixel of the screen, as X has it (what a person would see)."""
    text = subprocess.run(
        ["import", "-display", display, "-window", "root", "-crop", f"1x1+{x}+{y}", "-depth", "8", "txt:-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    ).stdout
    found = re.search(r"\((\d+),(\d+),(\d+)", text.splitlines()[-1])
    assert found, text
    r, g, b = (int(v) for v in found.groups())
    return r, g, b


def _greenish(rgb: tuple[int, int, int]) -> bool:
    r, g, b = rgb
    return g > r + 40 and g > b + 20


def _toplevels(display: str) -> list[str]:
    """The mapped windows on the screen (a GTK menu or popup would be one more)."""
    return sorted(_xdo(display, "search", "--onlyvisible", "--maxdepth", "1", "--name", "").split())


def _parked(origin: str) -> list[dict[str, Any]]:
    """The lane's parked sales, as the API gives them to a manager."""
    import httpx

    with httpx.Client(base_url=origin + "/api/v1", timeout=10) as api:
        login = api.post("/auth/login", json={"username": MANAGER[0], "password": MANAGER[1]})
        assert login.status_code == 200, login.text
        found = api.get(
            "/sales", params={"status": "parked"}, headers={"Authorization": "Bearer " + login.json()["token"]}
        )
        assert found.status_code == 200, found.text
        answer: list[dict[str, Any]] = found.json()["sales"]
        return answer


def _sales(data_dir: Path) -> list[tuple[str, bool, str | None]]:
    """(status, parked, cashier) of every sale, read from the store after the fact."""
    from appliance.app.services.opening import open_shop
    from appliance.config import load

    shop = open_shop(load(data_dir))
    try:
        rows = shop.db.conn.execute(
            "SELECT s.status, s.parked_at IS NOT NULL, u.username FROM sales s "
            "LEFT JOIN users u ON u.id = s.cashier_id ORDER BY s.id"
        ).fetchall()
        return [(str(r[0]), bool(r[1]), r[2]) for r in rows]
    finally:
        shop.close()


def test_a_cashier_sells_with_the_keyboard_in_the_shell(display: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Staffed mode (the default): the shell opens the till on `/`; a cashier logs in, scans
    two items, pays cash, starts the next sale and parks it — keystrokes through X only."""
    data_dir = tmp_path_factory.mktemp("shelltill")
    shop, _ = init_store(data_dir, NewStore(store_name="Corner Till"))
    catalog.import_csv(
        shop,
        None,
        f"sku,name,price,tax_class,barcodes\nBRD,Bread loaf,3.50,exempt,{BREAD}\n"
        f"COF,Coffee beans 1 kg,18.99,standard,{COFFEE}\n",
    )
    users.add_user(shop, None, CASHIER[0], "cashier", CASHIER[1])
    users.add_user(shop, None, MANAGER[0], "manager", MANAGER[1])
    set_cash_needs_shift(shop, False)  # this is about the shell's keys, not the drawer's shift
    set_locale(shop, "en-CA")  # the screens speak the English this test reads
    shop.close()
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    server = _serve(data_dir, port, mode=None)
    env = {**os.environ, "DISPLAY": display, "GDK_BACKEND": "x11", "NO_AT_BRIDGE": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("COMPTOIR_MODE", None)
    shell = subprocess.Popen(
        [sys.executable, "-c", CONSOLE, str(data_dir), str(port)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = Lines(shell)
    page = Console(shell, out)

    def keys(*names: str) -> None:
        _xdo(display, "key", "--delay", "5", *names)

    def typed(text: str) -> None:
        _xdo(display, "type", "--delay", "20", text)

    def scan(code: str) -> None:
        keys(*code, "Return")  # a wedge scanner's burst: digits a few ms apart, then Enter

    try:
        out.wait_for(rf"shell: showing {re.escape(origin)}/$", 30)
        out.wait_for(r"console: ready", 10)
        windows = _xdo(display, "search", "--sync", "--onlyvisible", "--name", "Comptoir").split()
        assert len(windows) == 1, windows
        window = windows[0]
        geometry = _xdo(display, "getwindowgeometry", window)
        assert "Position: 0,0" in geometry and f"Geometry: {SCREEN[0]}x{SCREEN[1]}" in geometry, geometry

        # Login: the page puts the focus in the user name field; the keys come through X.
        page.until(FOCUS, "login-username", 15)
        assert _xdo(display, "getwindowfocus").strip() == window
        page.ask("window.kioskMark = 1; 'ok'")  # gone if anything reloads the page
        typed(CASHIER[0])
        keys("Tab")
        typed(CASHIER[1])
        keys("Return")
        page.until(FOCUS, "scan-input", 10)

        # Two scans, then cash with F2: 30 typed into the amount, Enter.
        scan(BREAD)
        page.until(TOTAL, "3.50")
        scan(COFFEE)
        page.until('document.querySelectorAll("#lines-body tr").length', 2)
        page.until(TOTAL, "25.33")
        keys("F2")
        page.until(FOCUS, "pay-input")
        typed("30")
        keys("Return")
        page.until('document.getElementById("change-box").hidden', False)
        assert page.ask('document.getElementById("change-amount").textContent') == "4.65"  # 25.33 is 25.35 in cash
        assert _sales(data_dir) == [("completed", False, "lea")]
        # …and the screen shows it: WebKit paints behind the DOM (a second or two on a busy box).
        deadline = time.monotonic() + 10
        while not _greenish(_pixel(display, 915, 400)):  # inside the green "Change" box
            assert time.monotonic() < deadline, f"the change box never showed: {_pixel(display, 915, 400)}"
            time.sleep(0.2)
        _shoot(display, "shell-cashier")

        # F9 starts the next sale; F-keys a browser or GTK would act on do nothing here.
        keys("F9")
        page.until('document.getElementById("lines-empty").hidden', False)
        page.until(FOCUS, "scan-input")
        scan(BREAD)
        page.until(TOTAL, "3.50")
        shown = _toplevels(display)
        keys("F1", "F5", "F11", "F12", "ctrl+r", "F10")  # F10: park (and, in GTK, the menu bar key)
        page.until('document.getElementById("parked-count").textContent', "1")
        page.until('document.getElementById("lines-empty").hidden', False)
        assert page.ask("String(window.kioskMark)") == "1", "the page was reloaded"
        assert page.ask("url") == f"{origin}/"
        assert _xdo(display, "getwindowfocus").strip() == window  # no menu took the keyboard
        assert _toplevels(display) == shown  # …and no menu or other window opened
        # …and the keys still reach the page: the next scan lands in the next sale.
        scan(COFFEE)
        page.until(TOTAL, "21.83")
        assert _sales(data_dir) == [("completed", False, "lea"), ("open", True, "lea"), ("open", False, "lea")]
        assert [p["parked_by"] for p in _parked(origin)] == ["lea"]
        assert not [ln for ln in out.lines if "refused" in ln], out.lines

        shell.send_signal(signal.SIGTERM)
        assert shell.wait(15) == 0, "\n".join(out.lines)
    finally:
        if shell.poll() is None:
            _stop(shell)
        _stop(server)
