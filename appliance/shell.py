"""The kiosk window: serves the app on loopback and shows it full screen.

With no display (no DISPLAY or WAYLAND_DISPLAY), or without pywebview's GUI backend
installed, it serves and prints the address instead, so a developer can use a browser.
"""

from __future__ import annotations

import os
import time
import urllib.request

from appliance.config import Config


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def wait_healthy(url: str, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as answer:  # noqa: S310 - loopback URL
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def run(cfg: Config) -> int:
    from appliance.app.server import in_thread, serve

    if not has_display():
        return serve(cfg)
    try:
        import webview
    except ImportError:
        print("pywebview is not installed; serving without a window.")
        return serve(cfg)
    with in_thread(cfg):
        if not wait_healthy(cfg.url):
            print(f"the server did not answer on {cfg.url}")
            return 1
        print(f"Comptoir window on {cfg.url}/")
        webview.create_window("Comptoir", cfg.url + "/", fullscreen=False, width=1280, height=800)
        try:
            webview.start(private_mode=True)
        except Exception as exc:  # noqa: BLE001 - no GUI backend: keep the till usable
            print(f"no window ({exc.__class__.__name__}: {exc}); serving on {cfg.url}/")
            from appliance.app.server import serve as _serve  # noqa: F401

            while True:
                time.sleep(3600)
    return 0
