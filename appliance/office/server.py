"""`comptoir office serve`: the office's HTTPS ports under one process: the lanes' (mutual
TLS), enrolment, and the back office for people (its own port, docs/office.md).

uvicorn does not hand an app the client's certificate, so the connection's protocol puts
the certificate's DER in each request's scope (`web.lane_http.PEER_CERT`); it comes from the TLS
handshake, which the lanes' port refuses without a certificate the office's CA signed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import ssl
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from appliance.office.services.office import CA_CERT, SERVER_CERT, SERVER_KEY, Office
from appliance.office.web.app import enrol_app, lane_app
from appliance.office.web.back_office import back_office_app
from appliance.office.web.lane_http import PEER_CERT


def tls_context(data_dir: Path, *, client_certificates: bool) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(data_dir / SERVER_CERT, data_dir / SERVER_KEY)
    if client_certificates:
        # Only the office's own CA: a certificate from any other CA fails the handshake.
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=str(data_dir / CA_CERT))
    return context


class PeerCertificateProtocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        inner = self.app

        async def with_peer(scope: Any, receive: Any, send: Any) -> None:
            scope[PEER_CERT] = der
            await inner(scope, receive, send)

        self.app = with_peer


def _fixed(context: ssl.SSLContext) -> Callable[[uvicorn.Config, Callable[[], ssl.SSLContext]], ssl.SSLContext]:
    def factory(_config: uvicorn.Config, _default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        return context

    return factory


class QuietServer(uvicorn.Server):
    """Leaves signals to `serve`, which stops both ports on one Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def servers(
    office: Office,
    host: str,
    port: int,
    enrol_port: int,
    back_office_port: int | None = None,
    *,
    locale: str = "en",
    currency: str = "EUR",
) -> list[uvicorn.Server]:
    made: list[uvicorn.Server] = []
    apps: list[tuple[Any, int, bool]] = [(lane_app(office), port, True), (enrol_app(office, port), enrol_port, False)]
    if back_office_port is not None:
        # People's browsers hold no certificate of the office's CA: TLS with the office's
        # server certificate, and a password.
        apps.append((back_office_app(office, locale=locale, currency=currency), back_office_port, False))
    for app, at, with_certs in apps:
        context = tls_context(office.data_dir, client_certificates=with_certs)
        config = uvicorn.Config(
            app,
            host=host,
            port=at,
            http=PeerCertificateProtocol,
            ssl_context_factory=_fixed(context),
            lifespan="off",
            log_level="warning",
            server_header=False,
            # A lane idle on a kept TLS connection does not answer the close: asyncio waits
            # 30 s for it, and the office's stop (a restart, an update) waited with it.
            timeout_graceful_shutdown=5,
        )
        made.append(QuietServer(config))
    return made


async def run(found: list[uvicorn.Server]) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in found:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    await asyncio.gather(*(server.serve() for server in found))


def serve(
    office: Office,
    host: str,
    port: int,
    enrol_port: int,
    back_office_port: int | None = None,
    *,
    locale: str = "en",
    currency: str = "EUR",
) -> None:
    asyncio.run(run(servers(office, host, port, enrol_port, back_office_port, locale=locale, currency=currency)))
