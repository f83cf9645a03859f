"""End-to-end fixtures: the real app served by uvicorn on loopback, and Debian's Chromium
driven by Playwright.

- `live_app` (module scope): a fresh store served on a free port; gives the base URL, the
  admin's one-time password and the data dir.
- `make_live_app` (module scope): the same, with a `seed(shop)` callable run on the open
  store before it is served (add products and staff through the services), and optionally
  a `gateway_url` (what COMPTOIR_GATEWAY_URL gives the real app) for card payments,
  `config` overrides for `load` (e.g. `{"mode": "self_service"}`), `cash_needs_shift`
  (the store rule as shipped; off by default here, on for the tests about the drawer), and
  `locale` (the store rule: en-CA here, so that the screens speak the English the tests
  read; "fr-CA" or "uk-UA" for a test about a store in another language, None for the
  store as shipped, whose CAD default is fr-CA), and `keyed_cards` (the store rule: off as
  shipped; on for the tests where a manager keys a card's number in, card not present).
- `shop` (module scope): `make_live_app` with the seed written out as options (the people
  and products of tests/e2e/seed.py): `shop(GROCERY, {CASHIER: "cashier"}, pins=…,
  badges=…, then=…, gateway_url=…, locale=…)` — the catalogue's CSV, the staff by role (a PIN
  and a badge where given), then whatever else the store needs (`then(shop)`); the rest goes
  to `make_live_app` as it is.
- `acquirer` (module scope): the simulated card acquirer (`comptoir acquirer serve`) as a
  subprocess on a free loopback port; gives its URL. Test cards: docs/acquirer-protocol.md.
- `browser` (session scope): headless Chromium from /usr/bin/chromium; skips when it is
  missing (`make test` installs it through tools/apt-packages.txt). Never `playwright install`.
- `page` (function scope): a fresh context (no cookies, no storage) at 1280×800.
- `axe_page` (function scope): the same with the CSP bypassed, for axe runs (tests/e2e/axe.py).
- `screenshot(page, name)` fixture: saves test-artifacts/screens/NAME.png.
- `base_root`, `wheels`, `provisioned` (session scope): a debootstrap root and the same root
  after site.yml, for the provisioning and compliance suites (tests/e2e/provisioning/roots.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from appliance.app.services import catalog
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Shop
from appliance.config import load
from appliance.processes import free_port
from tests.conftest import set_cash_needs_shift, set_keyed_cards, set_locale
from tests.e2e.provisioning.roots import base_root, provisioned, wheels  # noqa: F401 fixtures, one of each
from tests.e2e.seed import Who, staff

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
VIEWPORT = {"width": 1280, "height": 800}
# The store's language for the screens and receipts unless a test asks for another: the
# tests read English (a CAD store as shipped speaks fr-CA).
ENGLISH = "en-CA"


@dataclass(frozen=True)
class LiveApp:
    url: str
    admin_password: str
    data_dir: Path


def _wait_healthy(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url}/healthz did not answer within {timeout} s")
        time.sleep(0.05)


@contextlib.contextmanager
def serve_store(
    data_dir: Path,
    seed: Callable[[Shop], Any] | None = None,
    new: NewStore | None = None,
    gateway_url: str | None = None,
    config: dict[str, Any] | None = None,
    cash_needs_shift: bool = False,
    locale: str | None = ENGLISH,
    keyed_cards: bool = False,
) -> Iterator[LiveApp]:
    from appliance.app.server import in_thread

    shop, password = init_store(data_dir, new or NewStore())
    try:
        # Off unless asked: these tests are about what the screens do with a sale, not about
        # the drawer (tests/conftest.py's `store` says the same).
        set_cash_needs_shift(shop, cash_needs_shift)
        if locale is not None:
            set_locale(shop, locale)
        if keyed_cards:
            set_keyed_cards(shop, True)
        if seed is not None:
            seed(shop)
    finally:
        shop.close()
    port = free_port()
    overrides = {**(config or {}), **({"gateway_url": gateway_url} if gateway_url else {})}
    cfg = load(data_dir, port=port, **overrides)
    with in_thread(cfg):
        _wait_healthy(cfg.url)
        yield LiveApp(url=cfg.url, admin_password=password, data_dir=data_dir)


@pytest.fixture(scope="module")
def make_live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveApp]]:
    with contextlib.ExitStack() as stack:

        def make(seed: Callable[[Shop], Any] | None = None, **options: Any) -> LiveApp:
            """serve_store's options: new, gateway_url, config, cash_needs_shift, locale, keyed_cards."""
            return stack.enter_context(serve_store(tmp_path_factory.mktemp("store"), seed, **options))

        yield make


@pytest.fixture(scope="module")
def shop(make_live_app: Callable[..., LiveApp]) -> Callable[..., LiveApp]:
    def make(
        products: str | None = None,
        people: Mapping[Who, str] | None = None,
        *,
        pins: Mapping[Who, str] | None = None,
        badges: Mapping[Who, str] | None = None,
        then: Callable[[Shop], Any] | None = None,
        **serve: Any,
    ) -> LiveApp:
        def seed(shop: Shop) -> None:
            if products is not None:
                catalog.import_csv(shop, None, products)
            staff(shop, people or {}, pins, badges)
            if then is not None:
                then(shop)

        return make_live_app(seed=seed, **serve)

    return make


@pytest.fixture(scope="module")
def live_app(make_live_app: Callable[..., LiveApp]) -> LiveApp:
    return make_live_app()


@pytest.fixture(scope="module")
def acquirer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`comptoir acquirer serve --port 0` as the card terminal's stand-in; yields its URL."""
    state = tmp_path_factory.mktemp("acquirer") / "state.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "appliance", "acquirer", "serve", "--port", "0", "--state", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:"), f"the acquirer said {url!r}"
        out = proc.stdout
        threading.Thread(target=lambda: [None for _ in out], daemon=True).start()  # never a full pipe
        _wait_healthy(url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context; fails the test on a script error or a CSP refusal in the page
    (a 4xx answer logged by the browser as "Failed to load resource" is expected)."""
    yield from checked_tab(browser)


def checked_tab(browser: Any) -> Iterator[Any]:
    """A tab in a context of its own (no cookie of another tab's), under the app's real CSP;
    fails the test on a script error or a CSP refusal, after the test."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-CA")
    context.set_default_timeout(5000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    tab.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Failed to load resource" not in msg.text
            else None
        ),
    )
    try:
        yield tab
    finally:
        context.close()
    assert not problems, "the page logged errors:\n" + "\n".join(problems)


@pytest.fixture
def axe_page(browser: Any) -> Iterator[Any]:
    """A fresh context for axe runs (tests/e2e/axe.py): axe is injected, which the app's CSP
    refuses, so this context alone bypasses it. Fails the test on a script error."""
    from tests.e2e.axe import AXE  # axe.py reads this module's ARTIFACTS

    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: npm ci --prefix tests/e2e --no-audit --no-fund")
    context = browser.new_context(viewport=VIEWPORT, locale="en-CA", bypass_csp=True)
    context.set_default_timeout(5000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    try:
        yield tab
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """screenshot(page, "name") saves test-artifacts/screens/name.png (git-ignored)."""

    def take(tab: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        tab.screenshot(path=str(path), full_page=False)
        return path

    return take
