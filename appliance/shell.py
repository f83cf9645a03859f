"""The kiosk window: serves the app on loopback (or reuses the running service) and shows it
full screen in a locked pywebview window (GTK / WebKit2GTK on Linux).

pywebview has no navigation allow-list, so the lock is three layers:
- the app's CSP (no inline script, no external resource, no framing);
- WebKit's own hooks on the WebView, installed before the first page loads: every
  navigation and new-window request to another origin is ignored, responses WebKit cannot
  show (downloads) are ignored, no context menu, no file chooser, no print dialog, no
  permission prompts, developer extras off, file URLs off;
- the window: frameless, fullscreen, not resizable, closing refused unless the shell stops.

With no display (no DISPLAY or WAYLAND_DISPLAY) it serves and prints the address instead,
so a developer can use a browser.

Exit codes (for systemd: `Restart=on-failure`, `RestartPreventExitStatus=78`):
0 stopped on purpose (SIGTERM/SIGINT); 69 the service never answered /healthz (restart:
it may come up); 70 our own in-process server died (restart the shell, which restarts it);
75 the window went away without being asked to (restart); 78 no GUI backend (restarting
will not help: fix the install).
"""

from __future__ import annotations

import importlib
import os
import signal
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from appliance.config import Config

EXIT_OK = 0
EXIT_SERVER_UNAVAILABLE = 69  # EX_UNAVAILABLE
EXIT_SERVER_DIED = 70  # EX_SOFTWARE
EXIT_WINDOW_LOST = 75  # EX_TEMPFAIL
EXIT_NO_WINDOW = 78  # EX_CONFIG

HEALTH_EVERY = 1.0  # seconds between /healthz polls while the app shows
FAILURES_BEFORE_WAIT = 2  # one slow answer is not an outage

# A local page (no server needed): three languages at once since we cannot know the
# customer's; it is loaded with the app's origin as base so the navigation guard lets it in.
PLEASE_WAIT_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Please wait</title>
<style>
html,body{margin:0;height:100%;background:#0b3d2e;color:#fff;font-family:"DejaVu Sans",sans-serif}
main{display:flex;flex-direction:column;align-items:center;justify-content:center;height:100%;text-align:center}
h1{font-size:3.2rem;margin:.2em}p{font-size:1.8rem;margin:.3em}
.spin{width:4rem;height:4rem;border:.5rem solid #ffffff55;border-top-color:#fff;border-radius:50%;
animation:s 1s linear infinite;margin-bottom:2rem}@keyframes s{to{transform:rotate(360deg)}}
</style></head><body><main id="please-wait">
<div class="spin" aria-hidden="true"></div>
<h1>Please wait</h1><p lang="fr">Veuillez patienter</p><p lang="uk">Будь ласка, зачекайте</p>
<p>This till will be back in a moment.</p>
</main></body></html>"""


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=timeout) as answer:  # noqa: S310 - loopback URL
            return bool(answer.status == 200)
    except OSError:
        return False


def wait_healthy(url: str, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy(url):
            return True
        time.sleep(0.1)
    return False


def origin_of(uri: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(uri)
    port = parts.port
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def allowed(uri: str, origin: str) -> bool:
    """Only the app's own origin (scheme, host and port all equal), and the blank page
    WebKit starts from. Everything else (other hosts, other ports, file:, data:, blob:
    navigations, javascript: URLs) is refused."""
    if uri in ("about:blank", ""):
        return True
    return origin_of(uri) == origin_of(origin)


def _webkit() -> Any:
    # pygobject-stubs has no WebKit2: typed as Any rather than silenced line by line.
    return importlib.import_module("gi.repository.WebKit2")


def _say(message: str) -> None:
    # stdout goes to the journal on the appliance; never print a page's content or a URL's query.
    print(f"shell: {message}", flush=True)


def _no_query(uri: str) -> str:
    parts = urllib.parse.urlsplit(uri)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class Kiosk:
    """One locked window on one origin, with the reconnect loop."""

    def __init__(self, origin: str, start_path: str = "/") -> None:
        self.origin = origin.rstrip("/")
        self.start_url = self.origin + start_path
        self.window: Any = None
        self.stopping = threading.Event()
        self.waiting = threading.Event()  # the "please wait" page shows
        self.refused: list[str] = []  # what the guard turned away, for the log and the tests
        self.server_alive: Callable[[], bool] = lambda: True
        self.exit_code = EXIT_OK

    # -- the window ------------------------------------------------------------------------

    def open(self, title: str = "Comptoir") -> Any:
        import webview

        # pywebview's own defaults hand target=_blank links to the desktop browser and allow
        # file URLs: both off, before the first window exists.
        webview.settings["OPEN_EXTERNAL_LINKS_IN_BROWSER"] = False
        webview.settings["ALLOW_DOWNLOADS"] = False
        webview.settings["ALLOW_FILE_URLS"] = False
        webview.settings["OPEN_DEVTOOLS_IN_DEBUG"] = False
        self.window = webview.create_window(
            title,
            self.start_url,
            fullscreen=True,
            frameless=True,
            easy_drag=False,
            resizable=False,
            zoomable=False,
            text_select=False,
            confirm_close=False,
            focus=True,
            background_color="#0B3D2E",
        )
        self.window.events.before_show += self._lock
        self.window.events.closing += self._closing
        return self.window

    def start(self, then: Callable[[Any], None] | None = None) -> None:
        """Runs the GUI loop on this (main) thread; returns when the window is gone."""
        import webview

        def background() -> None:
            if then is not None:
                threading.Thread(target=then, args=(self.window,), name="probe", daemon=True).start()
            self._watch()

        webview.start(background, gui="gtk", debug=False, private_mode=True)

    def stop(self) -> None:
        self.stopping.set()
        if self.window is not None:
            self.window.destroy()

    def _closing(self) -> bool:
        # False cancels: a customer's Alt+F4 (where a window manager offers one) does nothing.
        return self.stopping.is_set()

    def _lock(self, window: Any) -> None:
        """Runs on the GTK thread inside pywebview's BrowserView.__init__, before load_uri."""
        from gi.repository import GLib
        from webview.platforms import gtk as backend

        browser = backend.BrowserView.instances[window.uid]
        view: Any = browser.webview
        # pywebview's handler opens target=_blank links in the same view or a browser, and
        # starts downloads: ours replaces it.
        view.disconnect_by_func(browser.on_navigation)
        view.connect("decide-policy", self._decide)
        view.connect("context-menu", lambda *_: True)
        view.connect("run-file-chooser", lambda *_: True)
        view.connect("print", lambda *_: True)
        view.connect("permission-request", self._deny)
        view.connect("load-failed", self._load_failed)
        view.connect("load-changed", self._load_changed)
        view.connect("web-process-terminated", self._crashed)
        view.connect("enter-fullscreen", lambda *_: True)  # the page cannot take the HTML fullscreen API
        props = view.get_settings().props
        props.enable_developer_extras = False
        props.allow_file_access_from_file_urls = False
        props.allow_universal_access_from_file_urls = False
        props.javascript_can_open_windows_automatically = False
        props.javascript_can_access_clipboard = False
        props.enable_media_stream = False
        props.enable_webrtc = False
        props.enable_caret_browsing = False
        props.enable_back_forward_navigation_gestures = False
        props.enable_fullscreen = False
        props.enable_write_console_messages_to_stdout = False
        native = window.native  # the Gtk.ApplicationWindow
        native.set_deletable(False)
        native.set_decorated(False)
        native.set_resizable(False)
        for signum in (signal.SIGTERM, signal.SIGINT):
            # The GTK loop holds the main thread in C: Python's own handlers would never run.
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum, self._on_signal, signum)
        _say(f"window locked to {self.origin}")

    def _on_signal(self, signum: int) -> bool:
        _say(f"signal {signum}: closing")
        self.stopping.set()
        # pywebview's destroy waits on the GTK loop: call it from another thread, never this one.
        threading.Thread(target=self._close, name="close", daemon=True).start()
        return False

    def _close(self) -> None:
        self.window.destroy()
        time.sleep(5)
        # Still here: the GUI loop did not end. systemd would SIGKILL us after its timeout
        # anyway; leaving now with 0 says "stopped on purpose". The store is crash-safe (WAL).
        _say("the window did not close in 5 s; leaving")
        os._exit(EXIT_OK)

    # -- WebKit hooks (GTK thread) ------------------------------------------------------------

    def _decide(self, view: Any, decision: Any, kind: Any) -> bool:
        WebKit2 = _webkit()
        if kind in (WebKit2.PolicyDecisionType.NAVIGATION_ACTION, WebKit2.PolicyDecisionType.NEW_WINDOW_ACTION):
            uri = decision.get_navigation_action().get_request().get_uri() or ""
            if kind == WebKit2.PolicyDecisionType.NEW_WINDOW_ACTION or not allowed(uri, self.origin):
                # One window only; a target=_blank link or window.open to our own origin is
                # not followed either (a second view would escape these hooks).
                self.refused.append(uri)
                _say(f"refused navigation to {_no_query(uri)}")
                decision.ignore()
                return True
            decision.use()
            return True
        if kind == WebKit2.PolicyDecisionType.RESPONSE:
            response = decision.get_response()
            uri = response.get_uri() or ""
            if not decision.is_mime_type_supported() or not allowed(uri, self.origin):
                _say(f"refused response from {_no_query(uri)} ({response.get_mime_type()})")
                decision.ignore()  # no downloads, no content from elsewhere
                return True
            decision.use()
            return True
        decision.ignore()
        return True

    def _deny(self, view: Any, request: Any) -> bool:
        request.deny()  # camera, microphone, geolocation, notifications, pointer lock…
        return True

    def _load_changed(self, view: Any, event: Any) -> None:
        WebKit2 = _webkit()
        if event == WebKit2.LoadEvent.FINISHED:
            uri = view.get_uri() or ""
            if allowed(uri, self.origin) and not self.waiting.is_set():
                _say(f"showing {_no_query(uri)}")

    def _load_failed(self, view: Any, event: Any, uri: str, error: Any) -> bool:
        from gi.repository import GLib

        WebKit2 = _webkit()
        if error.matches(WebKit2.PolicyError.quark(), WebKit2.PolicyError.FRAME_LOAD_INTERRUPTED_BY_POLICY_CHANGE):
            return True  # our own refusal: the page stays as it was
        if error.matches(WebKit2.NetworkError.quark(), WebKit2.NetworkError.CANCELLED):
            return True
        if not self.stopping.is_set():
            # The service is not answering: never show WebKit's error page (it names the URL
            # and offers nothing useful); show ours and let the watcher reconnect.
            GLib.idle_add(self._show_wait, view)
        return True

    def _crashed(self, view: Any, reason: Any) -> None:
        _say(f"web process ended ({reason}); reloading")
        view.load_uri(self.start_url)

    def _show_wait(self, view: Any) -> bool:
        if not self.waiting.is_set():
            self.waiting.set()
            _say("showing please-wait")
        view.load_html(PLEASE_WAIT_HTML, self.origin + "/")
        return False

    # -- the watcher (its own thread) -----------------------------------------------------------

    def _watch(self) -> None:
        failures = 0
        while not self.stopping.wait(HEALTH_EVERY if not self.waiting.is_set() else 0.5):
            if not self.server_alive():
                _say("the in-process server died")
                self._wait_page()
                self.exit_code = EXIT_SERVER_DIED
                time.sleep(2)  # long enough for the customer to see why the screen changed
                self.stopping.set()
                self.window.destroy()
                return
            if healthy(self.origin, timeout=1.0):
                failures = 0
                if self.waiting.is_set():
                    self.waiting.clear()
                    _say(f"service is back: loading {self.start_url}")
                    self.window.load_url(self.start_url)
                continue
            failures += 1
            if failures >= FAILURES_BEFORE_WAIT and not self.waiting.is_set():
                self._wait_page()

    def _wait_page(self) -> None:
        self.waiting.set()
        _say("showing please-wait")
        self.window.load_html(PLEASE_WAIT_HTML, self.origin + "/")


def start_path(cfg: Config) -> str:
    return "/selfservice" if cfg.mode == "self_service" else "/"


def run(cfg: Config, *, then: Callable[[Any], None] | None = None) -> int:
    """`comptoir run`. `then(window)` runs in a thread once the GUI loop is up (tests)."""
    from appliance.app.server import in_thread, serve

    if not has_display():
        return serve(cfg)
    try:
        import gi

        gi.require_version("Gtk", "3.0")
        gi.require_version("WebKit2", "4.1")
        import webview  # noqa: F401
        from gi.repository import Gtk  # noqa: F401

        _webkit()
    except (ImportError, ValueError) as exc:
        _say(f"no GUI backend ({exc}); install gir1.2-webkit2-4.1 and pywebview[gtk], or unset DISPLAY to serve only")
        return EXIT_NO_WINDOW
    kiosk = Kiosk(cfg.url, start_path(cfg))
    if healthy(cfg.url, timeout=0.5):
        # The service unit already serves this store: the window is only a view on it.
        _say(f"reusing the service on {cfg.url}")
        return _show(kiosk, then)
    with in_thread(cfg) as server:
        threads = {t.name: t for t in threading.enumerate()}
        uvicorn_thread = threads.get("uvicorn")
        if not wait_healthy(cfg.url):
            _say(f"the server did not answer on {cfg.url}/healthz")
            return EXIT_SERVER_UNAVAILABLE
        _say(f"serving on {cfg.url}")
        kiosk.server_alive = lambda: uvicorn_thread is None or uvicorn_thread.is_alive() or bool(server.should_exit)
        return _show(kiosk, then)


def _show(kiosk: Kiosk, then: Callable[[Any], None] | None) -> int:
    kiosk.open()
    try:
        kiosk.start(then)
    except Exception as exc:  # noqa: BLE001 - a backend that cannot start: say so, let systemd decide
        _say(f"no window ({exc.__class__.__name__}: {exc})")
        return EXIT_NO_WINDOW
    if kiosk.exit_code != EXIT_OK:
        return kiosk.exit_code
    if not kiosk.stopping.is_set():
        _say("the window closed without being asked to")
        return EXIT_WINDOW_LOST
    return EXIT_OK
