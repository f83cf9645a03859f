"""The back office over HTTP (docs/office.md, "The back office"): login, lockout, CSRF,
sessions, and what each role may see and do, checked on the server whatever a page shows."""

from __future__ import annotations

import datetime as dt
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from appliance.office.services import audit_log, enrolment, sign_in
from appliance.office.services.office import Office, open_office
from appliance.office.store import books as books_store
from appliance.office.store import events as events_store
from appliance.office.store import lanes as lanes_store
from appliance.office.web.back_office import LOGIN_COOKIE, SESSION_COOKIE, back_office_app
from tests.office.conftest import ADMIN_PASSWORD, served

NEW_PASSWORD = "Counter-2026-desk"  # test accounts only


@pytest.fixture
def office(office_dsn: str, office_dir: Path) -> Iterator[Office]:
    opened = open_office(office_dsn, office_dir)
    # Two stores with a lane each, the Paris one with a backlog and an open alarm.
    now = opened.now()
    for store in ("lyon", "paris"):
        enrolment.issue_token(opened, store, "T01", issued_by="test")
    with opened.connection() as conn, conn.transaction():
        for n, store in enumerate(("lyon", "paris")):
            lanes_store.enrol(conn, store, "T01", f"{n:064x}", "1", now + dt.timedelta(days=365), now)
            lanes_store.touch(conn, f"{n:064x}", now)
        events_store.moved(conn, "paris", "T01", 3, 3, 40)
        events_store.raise_alarm(conn, "paris", "T01", "gap", 4, {"missing_from": 4, "missing_to": 9}, now)
        events_store.raise_alarm(conn, "lyon", "T01", "till_behind", 7, {"till_last_seq": 5}, now)
    yield opened
    opened.close()


def browser(office: Office) -> TestClient:
    # https: the cookies are Secure, and a browser sends them back over TLS only.
    return TestClient(back_office_app(office), base_url="https://testserver", follow_redirects=False)


def log_in(client: TestClient, username: str, password: str) -> httpx.Response:
    assert client.get("/login").status_code == 200
    token = client.cookies.get(LOGIN_COOKIE)
    return client.post("/login", data={"csrf": token, "username": username, "password": password, "next": "/lanes"})


def csrf(client: TestClient) -> str:
    return sign_in.csrf_token(str(client.cookies.get(SESSION_COOKIE)))


def admin(office: Office) -> TestClient:
    client = browser(office)
    assert log_in(client, "admin", ADMIN_PASSWORD).headers["location"] == "/password"
    done = client.post("/password", data={"csrf": csrf(client), "current": ADMIN_PASSWORD, "new": NEW_PASSWORD})
    assert done.status_code == 303, done.text
    return client


def add_person(client: TestClient, username: str, role: str, store: str = "") -> str:
    added = client.post("/staff", data={"csrf": csrf(client), "username": username, "role": role, "store": store})
    assert added.status_code == 200, added.text
    found = re.search(r'class="secret">([^<]+)<', added.text)
    assert found, added.text
    return found.group(1)


def person(office: Office, chief: TestClient, username: str, role: str, store: str = "") -> TestClient:
    """Someone added by the chain admin, logged in and past their first password change."""
    one_time = add_person(chief, username, role, store)
    client = browser(office)
    assert log_in(client, username, one_time).headers["location"] == "/password"
    assert client.get("/lanes").headers["location"] == "/password"  # nothing before their own password
    done = client.post("/password", data={"csrf": csrf(client), "current": one_time, "new": NEW_PASSWORD})
    assert done.status_code == 303, done.text
    return client


def actions(office: Office) -> list[tuple[str, str, str]]:
    return [(str(e["action"]), str(e["actor"]), str(e["outcome"])) for e in audit_log.entries(office)]


# -- login, sessions, lockout ---------------------------------------------------------------------


def test_login_sets_a_secure_session_cookie_and_is_audited(office: Office) -> None:
    client = browser(office)
    answer = log_in(client, "admin", ADMIN_PASSWORD)
    assert answer.status_code == 303
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE))
    flags = {f.strip().lower() for f in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=strict", "path=/"} <= flags
    assert not any(f.startswith("domain") for f in flags)
    assert ("office_login", "office:admin", "success") in actions(office)
    # The office keeps the token's hash, never the token.
    with office.connection() as conn:
        held = [str(r["token_hash"]) for r in conn.execute("SELECT token_hash FROM office_sessions").fetchall()]
    assert held == [sign_in.token_hash(str(client.cookies.get(SESSION_COOKIE)))]


def test_a_given_password_is_changed_before_any_page(office: Office) -> None:
    client = browser(office)
    log_in(client, "admin", ADMIN_PASSWORD)
    assert client.get("/catalogue").headers["location"] == "/password"
    weak = client.post("/password", data={"csrf": csrf(client), "current": ADMIN_PASSWORD, "new": "short"})
    assert weak.status_code == 422 and "12" in weak.text
    wrong = client.post("/password", data={"csrf": csrf(client), "current": "Not-the-one-1", "new": NEW_PASSWORD})
    assert wrong.status_code == 403
    done = client.post("/password", data={"csrf": csrf(client), "current": ADMIN_PASSWORD, "new": NEW_PASSWORD})
    assert done.status_code == 303
    assert client.get("/lanes").status_code == 200
    assert ("office_password_changed", "office:admin", "failure") in actions(office)
    assert ("office_password_changed", "office:admin", "success") in actions(office)
    again = browser(office)
    assert log_in(again, "admin", NEW_PASSWORD).headers["location"] == "/lanes"


def test_a_wrong_password_or_name_is_refused_alike_and_audited(office: Office) -> None:
    wrong = log_in(browser(office), "admin", "Not-the-one-1")
    unknown = log_in(browser(office), "nobody", "Not-the-one-1")
    assert wrong.status_code == unknown.status_code == 401
    assert "wrong name or password" in wrong.text and "wrong name or password" in unknown.text
    assert f"{SESSION_COOKIE}=" not in wrong.headers.get("set-cookie", "")
    failures = [a for a in actions(office) if a[0] == "office_login" and a[2] == "failure"]
    assert ("office_login", "office:admin", "failure") in failures
    assert ("office_login", "office:nobody", "failure") in failures


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(office: Office) -> None:
    for _ in range(sign_in.MAX_FAILURES - 1):
        assert log_in(browser(office), "admin", "Not-the-one-1").status_code == 401
    locked = log_in(browser(office), "admin", "Not-the-one-1")
    assert locked.status_code == 423 and "locked" in locked.text
    right = log_in(browser(office), "admin", ADMIN_PASSWORD)
    assert right.status_code == 423
    assert f"{SESSION_COOKIE}=" not in right.headers.get("set-cookie", "")
    later = office.now() + sign_in.LOCKOUT + dt.timedelta(seconds=1)
    office.now = lambda: later
    assert log_in(browser(office), "admin", ADMIN_PASSWORD).status_code == 303


def test_logout_ends_the_session_on_the_server(office: Office) -> None:
    client = admin(office)
    token = str(client.cookies.get(SESSION_COOKIE))
    assert client.post("/logout", data={"csrf": csrf(client)}).headers["location"] == "/login"
    client.cookies.set(SESSION_COOKIE, token)  # the same cookie again, as a thief who copied it would
    assert client.get("/lanes").headers["location"].startswith("/login")
    assert ("office_logout", "office:admin", "success") in actions(office)


def test_an_idle_session_is_over(office: Office) -> None:
    client = admin(office)
    later = office.now() + sign_in.IDLE + dt.timedelta(seconds=1)
    office.now = lambda: later
    assert client.get("/lanes").headers["location"].startswith("/login")


# -- CSRF ---------------------------------------------------------------------------------------


def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(office: Office) -> None:
    client = admin(office)
    form = {"username": "mallory", "role": "chain_admin", "store": ""}
    assert client.post("/staff", data=form).status_code == 403
    assert client.post("/staff", data={**form, "csrf": "0" * 64}).status_code == 403
    other = admin_token_of_another_session(office)
    assert client.post("/staff", data={**form, "csrf": other}).status_code == 403
    assert "mallory" not in client.get("/staff").text
    assert client.post("/logout", data={"next": "/"}).status_code == 403  # nor log us out from elsewhere


def admin_token_of_another_session(office: Office) -> str:
    other = browser(office)
    log_in(other, "admin", NEW_PASSWORD)
    return csrf(other)


def test_a_login_without_the_forms_token_is_refused(office: Office) -> None:
    client = browser(office)
    client.get("/login")
    refused = client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert refused.status_code == 403
    assert f"{SESSION_COOKIE}=" not in refused.headers.get("set-cookie", "")


def test_a_form_that_is_not_a_form_is_a_4xx_with_a_reason(office: Office) -> None:
    client = admin(office)
    answer = client.post("/staff", content=b"{}", headers={"content-type": "application/json"})
    assert answer.status_code == 415 and "form" in answer.text


# -- the pages and the roles --------------------------------------------------------------------


def test_pages_carry_the_csp_and_no_inline_script_or_style(office: Office) -> None:
    client = admin(office)
    for path in ("/login", "/lanes", "/alarms", "/catalogue", "/staff", "/reports", "/password"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert answer.headers["cache-control"] == "no-store"
        assert "style=" not in answer.text and "<style" not in answer.text
        # Scripts are files of this site, never inline.
        assert re.sub(r'<script src="/static/[a-z.]+\.js" defer></script>', "", answer.text).count("<script") == 0


def test_stores_and_lanes_largest_backlog_first(office: Office) -> None:
    shown = admin(office).get("/lanes").text
    assert shown.index("Store paris") < shown.index("Store lyon")
    paris = shown[shown.index("Lanes of paris") :]
    assert re.search(r"<td>T01</td><td>[^<]*UTC</td>", paris)
    assert '<td class="num">37</td>' in paris  # 40 written at the till, 3 held: 37 to come


def test_a_chain_admin_closes_an_alarm_with_a_reason(office: Office) -> None:
    client = admin(office)
    page = client.get("/alarms").text
    alarm = re.search(r'action="/alarms/(\d+)/close"', page)
    assert alarm
    path = f"/alarms/{alarm.group(1)}/close"
    assert client.post(path, data={"csrf": csrf(client), "reason": ""}).status_code == 422
    assert client.post(path, data={"csrf": csrf(client), "reason": "till restored, checked"}).status_code == 303
    assert client.post(path, data={"csrf": csrf(client), "reason": "again"}).status_code == 404
    assert f'/alarms/{alarm.group(1)}/close"' not in client.get("/alarms").text
    assert "till restored, checked" in client.get("/alarms?all=1").text
    assert ("lane_alarm_closed", "office:admin", "success") in actions(office)


def test_a_chain_admin_imports_finds_and_withdraws_products(office: Office) -> None:
    client = admin(office)
    from appliance.office.services import catalogue

    catalogue.put_tax_class(office, "standard", "Standard", [("VAT", "20")], actor="test")
    text = "sku,name,price,barcodes\nAPL,Apple,1.25,4006381333931\nBRD,Bread,3.49,\n"
    bad = client.post("/catalogue/import", data={"csrf": csrf(client), "csv": "sku,name,price\nX,,oops\n"})
    assert bad.status_code == 422 and "line 2" in bad.text
    done = client.post("/catalogue/import", data={"csrf": csrf(client), "csv": text, "currency": "EUR"})
    assert done.status_code == 303, done.text
    found = client.get("/catalogue", params={"q": "4006381"}).text
    assert "Apple" in found and "1.25" in found and "Bread" not in found
    assert client.post("/catalogue/withdraw", data={"csrf": csrf(client), "sku": "APL"}).status_code == 303
    assert "withdrawn" in client.get("/catalogue", params={"q": "APL"}).text
    assert client.post("/catalogue/withdraw", data={"csrf": csrf(client), "sku": "NOPE"}).status_code == 404
    chain = [a for a in actions(office) if a[1] == "office:admin"]
    assert ("catalogue_import", "office:admin", "success") in chain
    assert ("catalogue_withdraw", "office:admin", "success") in chain


def test_a_store_manager_sees_their_store_only_and_changes_nothing_of_the_chain(office: Office) -> None:
    chief = admin(office)
    manager = person(office, chief, "lea", "store_manager", "lyon")
    lanes = manager.get("/lanes").text
    assert "Store lyon" in lanes and "paris" not in lanes
    alarms = manager.get("/alarms?all=1").text
    assert "lyon/T01" in alarms and "paris/T01" not in alarms and "/close" not in alarms
    staff = manager.get("/staff").text
    assert "lea" in staff and "admin" not in staff.split("<table")[1] and "Add someone" not in staff
    alarm_id = re.search(r"<td class=\"num\">(\d+)</td><td>[^<]*</td><td>lyon/T01", alarms)
    assert alarm_id
    refused = [
        manager.post(f"/alarms/{alarm_id.group(1)}/close", data={"csrf": csrf(manager), "reason": "not mine to"}),
        manager.post("/staff", data={"csrf": csrf(manager), "username": "x", "role": "auditor", "store": ""}),
        manager.post("/staff/admin/disable", data={"csrf": csrf(manager)}),
        manager.post("/catalogue/import", data={"csrf": csrf(manager), "csv": "sku,price\nAPL,1\n"}),
        manager.post("/catalogue/withdraw", data={"csrf": csrf(manager), "sku": "APL"}),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert "lyon/T01" in manager.get("/alarms").text  # still open


def test_an_auditor_reads_everything_and_changes_nothing(office: Office) -> None:
    chief = admin(office)
    auditor = person(office, chief, "ana", "auditor")
    assert "Store paris" in auditor.get("/lanes").text and "Store lyon" in auditor.get("/lanes").text
    assert "paris/T01" in auditor.get("/alarms").text
    assert "admin" in auditor.get("/staff").text
    for path, form in (
        ("/alarms/1/close", {"reason": "looks fine"}),
        ("/staff", {"username": "x", "role": "auditor", "store": ""}),
        ("/staff/admin/disable", {}),
        ("/catalogue/import", {"csv": "sku,price\nAPL,1\n"}),
        ("/catalogue/withdraw", {"sku": "APL"}),
    ):
        assert auditor.post(path, data={"csrf": csrf(auditor), **form}).status_code == 403, path
    assert "paris/T01" in auditor.get("/alarms").text


def test_a_disabled_person_is_out_at_once_and_cannot_log_in(office: Office) -> None:
    chief = admin(office)
    manager = person(office, chief, "lea", "store_manager", "lyon")
    assert chief.post("/staff/admin/disable", data={"csrf": csrf(chief)}).status_code == 422  # not themself
    assert chief.post("/staff/lea/disable", data={"csrf": csrf(chief)}).status_code == 303
    assert manager.get("/lanes").headers["location"].startswith("/login")
    assert log_in(browser(office), "lea", NEW_PASSWORD).status_code == 401
    assert ("user_disabled", "office:admin", "success") in actions(office)
    assert ("user_added", "office:admin", "success") in actions(office)


def test_a_store_manager_needs_a_store_of_the_chain(office: Office) -> None:
    chief = admin(office)
    for store, status in (("", 422), ("rome", 404)):
        form = {"csrf": csrf(chief), "username": "sam", "role": "store_manager", "store": store}
        assert chief.post("/staff", data=form).status_code == status
    form = {"csrf": csrf(chief), "username": "admin", "role": "auditor", "store": ""}
    assert chief.post("/staff", data=form).status_code == 409


# -- served: its own port, TLS with the office's certificate, no client certificate --------------


def test_the_back_office_is_served_on_its_own_tls_port(office_dsn: str, office_dir: Path) -> None:
    from appliance.office import server
    from appliance.processes import free_port

    office = open_office(office_dsn, office_dir, pooled=True)
    port, enrol_port, back = free_port(), free_port(), free_port()
    try:
        with served(server.servers(office, "127.0.0.1", port, enrol_port, back)):
            trusted = ssl.create_default_context(cafile=str(office_dir / "ca.pem"))
            with httpx.Client(verify=trusted, base_url=f"https://127.0.0.1:{back}") as client:
                page = client.get("/login")
                assert page.status_code == 200 and "Log in" in page.text
                done = client.post(
                    "/login",
                    data={"csrf": client.cookies.get(LOGIN_COOKIE), "username": "admin", "password": ADMIN_PASSWORD},
                )
                assert done.status_code == 303 and done.headers["location"] == "/password"
    finally:
        office.close()


def test_serve_refuses_a_back_office_port_already_given_to_the_lanes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from appliance.cli import main

    for taken in ("8443", "8444"):
        argv = ["office", "serve", "--data-dir", str(tmp_path), "--port", "8443", "--back-office-port", taken]
        assert main(argv) == 2
        assert "--back-office-port must differ" in capsys.readouterr().err


def test_routes_mounted_beside_the_pages_know_who_is_signed_in(office: Office) -> None:
    from starlette.requests import Request

    from appliance.office.web.back_office_http import person_of

    app = back_office_app(office)

    def asking(cookie: str | None) -> Request:
        headers = [(b"cookie", f"{SESSION_COOKIE}={cookie}".encode())] if cookie else []
        return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "app": app})

    client = browser(office)
    log_in(client, "admin", ADMIN_PASSWORD)
    token = str(client.cookies.get(SESSION_COOKIE))
    assert person_of(asking(token)) is None  # their password is still the given one
    client.post("/password", data={"csrf": csrf(client), "current": ADMIN_PASSWORD, "new": NEW_PASSWORD})
    who = person_of(asking(token))
    assert who is not None and (who.username, who.role, who.scope) == ("admin", "chain_admin", None)
    assert person_of(asking(None)) is None and person_of(asking("forged")) is None


def test_what_a_change_did_is_shown_once_and_no_link_can_write_on_a_page(office: Office) -> None:
    client = admin(office)
    assert "Your password is changed." in client.get("/lanes").text
    assert "Your password is changed." not in client.get("/lanes").text
    assert "Send your password" not in client.get("/lanes", params={"done": "Send your password"}).text


# -- reports: the chain's books behind the back office's session -----------------------------------

DAY = dt.date(2026, 11, 30)


def sell(office: Office, store: str, sale_id: int, total: int, method: str = "cash") -> None:
    """A sale in the books as the projection writes it (noon UTC on DAY, no Z yet)."""
    sale = {
        "sale_id": sale_id,
        "receipt_no": sale_id,
        "completed_at": dt.datetime.combine(DAY, dt.time(12), dt.UTC),
        "currency": "EUR",
        "subtotal": total - total // 6,
        "tax": total // 6,
        "total": total,
        "discount": 0,
        "cash_rounding": 0,
        "lines": [{"line_no": 1, "sku": "APL", "quantity": 1, "unit_price": total, "discount": 0, "tax_class": "std"}],
        "taxes": [{"name": "VAT", "rate": "0.2", "base": total - total // 6, "amount": total // 6}],
        "tenders": [{"n": 1, "method": method, "amount": total, "rounding": 0}],
    }
    with office.connection() as conn, conn.transaction():
        books_store.add_sale(conn, store, "T01", sale_id, sale)


def test_the_books_json_answers_only_behind_a_session_past_its_first_password(office: Office) -> None:
    sell(office, "paris", 1, 1399)
    period = {"from": DAY.isoformat()}
    nobody = browser(office)
    assert nobody.get("/books/reports/by-day", params=period).status_code == 401
    given = browser(office)
    log_in(given, "admin", ADMIN_PASSWORD)  # still the given password
    answer = given.get("/books/reports/by-day", params=period)
    assert answer.status_code == 401 and answer.json()["error"] == "not_logged_in"
    assert given.get("/books/day-check", params={"store": "paris", "day": DAY.isoformat()}).status_code == 401
    chief = admin(office)
    answer = chief.get("/books/reports/by-day", params=period)
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == [{"day": "2026-11-30", "currency": "EUR", "sales": 1, "subtotal": 1166,
                                      "tax": 233, "total": 1399, "gift_cards_sold": 0}]  # fmt: skip
    assert "no-store" in answer.headers["cache-control"]
    check = chief.get("/books/day-check", params={"store": "paris", "day": DAY.isoformat()})
    assert check.status_code == 200 and check.json()["differing_lanes"] == ["T01"]
    assert chief.get("/books/reports/by-day", params={"from": "30 Nov"}).status_code == 422


def test_a_store_manager_reads_their_stores_books_only(office: Office) -> None:
    sell(office, "paris", 1, 1399)
    sell(office, "lyon", 1, 500)
    chief = admin(office)
    manager = person(office, chief, "lea", "store_manager", "lyon")
    period = {"from": DAY.isoformat()}
    own = manager.get("/books/reports/summary", params=period)
    assert own.status_code == 200 and own.json()["stores"] == ["lyon"]
    assert [(r["store"], r["total"]) for r in own.json()["rows"]] == [("lyon", 500)]
    other = manager.get("/books/reports/summary", params={**period, "store": "paris"})
    assert other.status_code == 403 and other.json()["error"] == "forbidden"
    assert manager.get("/books/day-check", params={"store": "paris", "day": DAY.isoformat()}).status_code == 403
    assert manager.get("/books/day-check", params={"store": "lyon", "day": DAY.isoformat()}).status_code == 200
    # The page offers their store only, and a store put in the address is not read.
    shown = manager.get("/reports", params={"report": "summary", **period, "store": "paris"})
    assert shown.status_code == 200
    assert '<option value="lyon" selected>' in shown.text and "paris" not in shown.text.split("<main")[1]
    auditor = person(office, chief, "ana", "auditor")
    both = auditor.get("/books/reports/summary", params=period).json()
    assert both["stores"] is None and {r["store"] for r in both["rows"]} == {"lyon", "paris"}


def test_the_reports_page_shows_the_report_as_tables_and_names_its_chart(office: Office) -> None:
    sell(office, "paris", 1, 1399)
    sell(office, "paris", 2, 601, "card")
    chief = admin(office)
    shown = chief.get("/reports", params={"report": "by-tender", "from": DAY.isoformat(), "to": DAY.isoformat()})
    assert shown.status_code == 200
    body = shown.text
    assert "<caption>Takings by tender</caption>" in body
    assert "<td>card</td>" in body and '<td class="num">6.01 EUR</td>' in body
    assert '<td class="num">13.99 EUR</td>' in body
    chart = re.search(r'<canvas id="report-chart" role="img" aria-label="([^"]+)" data-source="([^"]+)"', body)
    assert chart and "Takings by tender" in chart.group(1)
    source = chart.group(2).replace("&amp;", "&")
    assert source == "/books/reports/by-tender?from=2026-11-30&to=2026-11-30"
    assert [r["amount"] for r in chief.get(source).json()["rows"]] == [1399, 601]  # the chart's figures are the table's
    assert '<script src="/static/chart.umd.min.js" defer></script>' in body
    summary = chief.get("/reports", params={"report": "summary", "from": DAY.isoformat()}).text
    assert "<caption>Totals in EUR</caption>" in summary and "20.00 EUR" in summary
    journal = chief.get("/reports", params={"report": "journal", "from": DAY.isoformat()}).text
    assert "Journal totals (debit equals credit)" in journal and "report-chart" not in journal
    refused = chief.get("/reports", params={"report": "by-day", "from": DAY.isoformat(), "to": "2026-11-01"})
    assert refused.status_code == 422 and "the period ends before it starts" in refused.text
    unknown = chief.get("/reports", params={"report": "gossip", "from": DAY.isoformat()})
    assert unknown.status_code == 422 and "no report" in unknown.text


def test_the_chart_library_is_the_tills_pinned_copy(office: Office) -> None:
    import hashlib

    served = browser(office).get("/static/chart.umd.min.js")
    assert served.status_code == 200
    assert hashlib.sha256(served.content).hexdigest() == (
        "48444a82d4edcb5bec0f1965faacdde18d9c17db3063d042abada2f705c9f54a"  # tests/unit/test_vendored.py
    )
    assert browser(office).get("/static/chart.js-LICENSE.md").text.startswith("The MIT License (MIT)")


def test_the_day_check_says_equal_or_names_the_lanes_that_differ(office: Office) -> None:
    sell(office, "paris", 1, 1399)
    chief = admin(office)
    with office.connection() as conn, conn.transaction():
        lanes_store.touch(conn, f"{0:064x}", office.now())  # lyon's lane holds every event it wrote
    equal = chief.get("/reports/day-check", params={"store": "lyon", "day": DAY.isoformat()})
    assert equal.status_code == 200
    assert "<strong>Equal</strong>" in equal.text
    differs = chief.get("/reports/day-check", params={"store": "paris", "day": DAY.isoformat()})
    assert differs.status_code == 200 and "<strong>Differs</strong> in lane(s) T01." in differs.text
    assert "takings with no Z yet" in differs.text and "13.99" in differs.text
    assert "events the office lacks" in differs.text  # the backlog of 37 events
    bad = chief.get("/reports/day-check", params={"store": "nice", "day": DAY.isoformat()})
    assert bad.status_code == 404 and "no store nice" in bad.text
    manager = person(office, chief, "lea", "store_manager", "lyon")
    mine = manager.get("/reports/day-check", params={"store": "paris", "day": DAY.isoformat()})
    assert mine.status_code == 200 and "<strong>Equal</strong>" in mine.text  # their own store, whatever was asked
