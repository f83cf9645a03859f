"""Serving the app with uvicorn, on loopback or a UNIX socket only."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator

import uvicorn

from appliance.app.services.opening import open_shop
from appliance.app.services.resolver import Resolver
from appliance.app.services.shop import Shop
from appliance.app.web.app import create_app
from appliance.config import Config

log = logging.getLogger("comptoir")


def build(cfg: Config) -> tuple[Shop, uvicorn.Server]:
    from appliance.app.services.setup import first_start

    made = first_start(cfg)
    if made is not None:
        log.warning("first start: the store was created; the admin's one-time password is in %s", made)
        print(f"First start: store created. The admin's one-time password is in {made} (root/service only).")
    shop = open_shop(cfg)
    app = create_app(shop)
    options: dict[str, object] = {
        "log_level": os.environ.get("COMPTOIR_LOG_LEVEL", "warning"),
        "server_header": False,
        "proxy_headers": False,  # nothing sits in front of us; a forwarded header is a lie
        "access_log": False,
        "timeout_graceful_shutdown": 5,
    }
    if cfg.unix_socket:
        uv_config = uvicorn.Config(app, uds=str(cfg.unix_socket), **options)  # type: ignore[arg-type]
    else:
        uv_config = uvicorn.Config(app, host=cfg.host, port=cfg.port, **options)  # type: ignore[arg-type]
    return shop, uvicorn.Server(uv_config)


def start_office_feed(shop: Shop) -> Resolver | None:
    """The office's catalogue, pulled in the background by an enrolled till (docs/office.md);
    nothing at all on a till that is not."""
    from appliance.app.services.office_feed import CatalogueFeed
    from appliance.lane.feed import Fetcher, enrolled

    if not enrolled(shop.data_dir):
        return None
    return CatalogueFeed(shop, Fetcher(shop.data_dir)).start()


def serve(cfg: Config) -> int:
    shop, server = build(cfg)
    feed = start_office_feed(shop)
    where = f"unix:{cfg.unix_socket}" if cfg.unix_socket else cfg.url
    print(f"Comptoir is serving {shop.settings.store_name} on {where}/ (Ctrl-C stops it)", flush=True)
    try:
        server.run()
    finally:
        if feed is not None:
            feed.stop()
        shop.close()
        if cfg.unix_socket:
            # uvicorn leaves the socket file behind on SIGTERM.
            with contextlib.suppress(FileNotFoundError):
                cfg.unix_socket.unlink()
    return 0 if not server.started or server.should_exit else 1


@contextlib.contextmanager
def in_thread(cfg: Config) -> Iterator[uvicorn.Server]:
    """Runs the server in a background thread (the window needs the main thread)."""
    shop, server = build(cfg)
    server.config.install_signal_handlers = False  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    feed = start_office_feed(shop)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        if feed is not None:
            feed.stop()
        shop.close()


def main() -> None:  # pragma: no cover - convenience for `python -m appliance.app.server`
    from appliance.config import load

    sys.exit(serve(load()))
