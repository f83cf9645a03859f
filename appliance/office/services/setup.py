"""`comptoir office init`: the office's CA, its server certificate, its audit key, its schema
and its first chain admin.

A second init on the same data dir or database is refused and changes nothing: a new CA
would orphan every lane enrolled under the old one, and a new first admin would hand out a
second set of keys to the chain without anyone deciding it.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from appliance.app.domain.errors import Conflict, Invalid
from appliance.office.services import audit_log
from appliance.office.services.office import (
    AUDIT_KEY,
    CA_CERT,
    CA_KEY,
    CONFIG_KEY,
    SERVER_CERT,
    SERVER_KEY,
    Office,
    audit_key_file,
)
from appliance.office.store import db, people
from appliance.security import config_bundle, pki
from appliance.security.keys import ensure_key_dir
from appliance.security.passwords import Passwords, check_strength, one_time_password

ADMIN_ROLE = "chain_admin"


def default_host_names() -> list[str]:
    names = ["localhost", "127.0.0.1", "::1"]
    for name in (socket.gethostname(), socket.getfqdn()):
        if name and name not in names:
            names.append(name)
    return names


@dataclass(frozen=True)
class Initialised:
    admin: str
    one_time_password: str | None  # None when the admin's password was given
    ca_fingerprint: str
    host_names: list[str]


def init_office(
    dsn: str,
    data_dir: Path,
    *,
    admin: str = "admin",
    password: str | None = None,
    host_names: list[str] | None = None,
) -> Initialised:
    if not 1 <= len(admin) <= 64 or not admin.isprintable() or admin.strip() != admin:
        raise Invalid("the admin's name is 1 to 64 printable characters, no spaces around it", "invalid_username")
    if password is not None:
        check_strength(password, admin)
    names = host_names or default_host_names()
    ours = [data_dir / n for n in (CA_KEY, CA_CERT, SERVER_KEY, SERVER_CERT, AUDIT_KEY)]
    if any(p.exists() for p in ours):
        raise Conflict(f"{data_dir} already holds an office: init is done once (its CA signs every lane)")
    conn = db.connect(dsn)
    try:
        db.migrate(conn)
        if people.count(conn):
            raise Conflict("this database already holds an office: init is done once")
        ensure_key_dir(data_dir)  # 0700: it holds the CA's key and the audit key
        made: list[Path] = []
        try:
            result = _make(conn, data_dir, admin, password, names, made)
        except BaseException:
            for path in made:
                path.unlink(missing_ok=True)  # a failed init leaves nothing that blocks the next
            raise
    finally:
        conn.close()
    return result


def _make(
    conn: db.Connection, data_dir: Path, admin: str, password: str | None, names: list[str], made: list[Path]
) -> Initialised:
    authority = pki.Authority.create("Comptoir office CA")
    server_key = pki.new_key()
    server_cert = authority.server_certificate(server_key, names)
    for name, data, private in (
        (CA_KEY, pki.key_pem(authority.key), True),
        (SERVER_KEY, pki.key_pem(server_key), True),
        (CA_CERT, pki.cert_pem(authority.cert), False),
        (SERVER_CERT, pki.cert_pem(server_cert), False),
    ):
        made.append(data_dir / name)
        if private:
            pki.write_private(data_dir / name, data)
        else:
            pki.write_public(data_dir / name, data)
    made.append(data_dir / AUDIT_KEY)
    key = audit_key_file(data_dir).create()
    # The configuration bundles' signing key: boxes pin its public half at their first pull.
    made.append(data_dir / CONFIG_KEY)
    pki.write_private(data_dir / CONFIG_KEY, config_bundle.key_pem(config_bundle.new_key()))
    secret = password or one_time_password()
    office = Office(data_dir, contextmanager(lambda: iter([conn])), key)
    ca_fingerprint = pki.fingerprint(authority.cert)
    with conn.transaction():
        people.add(conn, admin, ADMIN_ROLE, Passwords().hash(secret), office.now())
        audit_log.record(
            office,
            conn,
            actor="comptoir office init",
            action="office_initialised",
            object="office",
            details={"ca_fingerprint": ca_fingerprint, "host_names": names},
        )
        audit_log.record(
            office,
            conn,
            actor="comptoir office init",
            action="user_added",
            object=f"user:{admin}",
            details={"role": ADMIN_ROLE},
        )
    made.clear()  # committed: from here on the files are the office's, whatever happens
    audit_log.anchor(office, conn)
    return Initialised(admin, None if password else secret, ca_fingerprint, names)
