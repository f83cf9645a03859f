"""The drawer and the receipt printer through the HTTP API, with the virtual ESC/POS
printer on the network path: what reaches paper, what opens the drawer, who may do it,
and what the audit log says."""

from __future__ import annotations

import json
from typing import Any

from appliance.app.services import audit_log
from appliance.app.services.printing import receipt_bytes, takes_cash
from appliance.drivers.drawer import DrawerKick
from tests.conftest import Store, approval
from tests.fakes.escpos_printer import DrawerPulse, VirtualPrinterServer
from tests.integration.devices.conftest import sell
from tests.unit.drivers.samples import hardware_receipt


def audit(store: Store, action: str) -> list[dict[str, Any]]:
    found = [dict(e) for e in audit_log.entries(store.shop, 0, 5000) if e["action"] == action]
    for entry in found:
        if isinstance(entry["details"], str):
            entry["details"] = json.loads(entry["details"])
    return found


def test_a_cash_sale_prints_its_receipt_and_opens_the_drawer(as_user: Any, printer: VirtualPrinterServer) -> None:
    cashier = as_user("cashier")
    sale = sell(cashier, "4006381333931", "96385074", pay=1000)
    [paper] = printer.printer.wait_for_cuts(1)
    assert paper.pulses == [DrawerPulse(5, 120, 100)], "pin and pulse from config"
    assert paper.barcodes[0].data == sale["receipt_number"]
    # The store reads fr-CA (a CAD store's default): 4,92 $.
    total = f"{sale['totals']['total'] / 100:.2f}".replace(".", ",") + " $"
    assert paper.line_with("TOTAL CAD").text.endswith(total)
    assert "COPIE" not in paper.text


def test_no_cash_no_drawer() -> None:
    card_only = hardware_receipt()
    card_only = type(card_only)(**{**card_only.__dict__, "tenders": ()})
    assert not takes_cash(card_only) and takes_cash(hardware_receipt())


def test_reprint_is_a_copy_without_the_drawer_and_is_audited(
    as_user: Any, store: Store, printer: VirtualPrinterServer
) -> None:
    cashier, supervisor = as_user("cashier"), as_user("supervisor")
    sale = sell(cashier, "96385074")
    printer.printer.wait_for_cuts(1)
    refused = cashier.post(f"/api/v1/sales/{sale['id']}/reprint")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    answer = supervisor.post(f"/api/v1/sales/{sale['id']}/reprint")
    assert answer.status_code == 201, answer.text
    assert answer.json()["kind"] == "copy"
    _, copy = printer.printer.wait_for_cuts(2)
    assert copy.text.count("*** COPIE ***") == 2 and copy.pulses == []  # the store's fr-CA
    assert copy.barcodes[0].data == sale["receipt_number"]
    [entry] = audit(store, "receipt_reprint")
    assert entry["actor"] == "supervisor" and entry["object"] == f"sale:{sale['id']}"
    assert supervisor.post("/api/v1/sales/999/reprint").status_code == 404


def test_a_cashier_reprints_with_a_supervisors_approval(
    as_user: Any, store: Store, printer: VirtualPrinterServer
) -> None:
    cashier = as_user("cashier")
    sale = sell(cashier, "96385074")
    signed = approval(cashier, "supervisor", "reprint")
    answer = cashier.post(f"/api/v1/sales/{sale['id']}/reprint", headers=signed)
    assert answer.status_code == 201, answer.text
    again = cashier.post(f"/api/v1/sales/{sale['id']}/reprint", headers=signed)
    assert again.status_code == 403 and again.json()["error"]["code"] == "approval_invalid", "used once"
    printer.printer.wait_for_cuts(2)
    assert audit(store, "receipt_reprint")[0]["details"]["approved_by"] == "supervisor"


def test_printer_state_says_the_problem_and_a_supervisor_cancels(
    as_user: Any, store: Store, printer: VirtualPrinterServer
) -> None:
    cashier, supervisor = as_user("cashier"), as_user("supervisor")
    assert cashier.get("/api/v1/printer").json() == {
        "configured": True,
        "running": True,
        "pending": 0,
        "problem": None,
        "jobs": [],
    }
    printer.printer.paper_out = True
    sale = sell(cashier, "96385074")

    def state() -> dict[str, Any]:
        return dict(cashier.get("/api/v1/printer").json())

    from tests.integration.services.test_print_queue import until

    until(lambda: state()["problem"])
    shown = state()
    assert shown["pending"] == 1 and "out of paper" in shown["problem"]
    [job] = shown["jobs"]
    assert job["sale_id"] == sale["id"] and job["kind"] == "receipt" and job["attempts"] >= 1
    assert cashier.post(f"/api/v1/print-jobs/{job['id']}/cancel").status_code == 403
    cancelled = supervisor.post(f"/api/v1/print-jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert state()["pending"] == 0 and state()["problem"] is None
    [entry] = audit(store, "print_job_cancel")
    assert entry["details"]["sale_id"] == sale["id"]
    assert supervisor.post("/api/v1/print-jobs/9999/cancel").status_code == 404


def test_no_sale_opens_the_drawer_now_for_a_supervisor(
    as_user: Any, store: Store, printer: VirtualPrinterServer
) -> None:
    supervisor = as_user("supervisor")
    answer = supervisor.post("/api/v1/drawer/open", json={"reason": "change for the float"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "opened", "pin": 5, "approved_by": None}
    assert printer.printer.pulses == [DrawerPulse(5, 120, 100)]
    assert printer.printer.cut_papers() == [], "a pulse, no paper"
    [entry] = audit(store, "no_sale")
    assert entry["actor"] == "supervisor" and entry["outcome"] == "success"
    assert entry["details"]["reason"] == "change for the float"


def test_no_sale_needs_the_permission_or_an_approval(as_user: Any, store: Store, printer: VirtualPrinterServer) -> None:
    cashier = as_user("cashier")
    refused = cashier.post("/api/v1/drawer/open", json={"reason": "float"})
    assert refused.status_code == 403
    assert printer.printer.pulses == []
    signed = approval(cashier, "supervisor", "no_sale")
    opened = cashier.post("/api/v1/drawer/open", json={"reason": "float"}, headers=signed)
    assert opened.status_code == 200 and opened.json()["approved_by"] == "supervisor"
    assert len(printer.printer.pulses) == 1
    # Who may not open it hears so before anything of the body; who may hears what is wrong.
    assert cashier.post("/api/v1/drawer/open", json={}).status_code == 403
    supervisor = as_user("supervisor")
    assert supervisor.post("/api/v1/drawer/open", json={}).status_code == 400
    assert supervisor.post("/api/v1/drawer/open", json={"reason": ""}).status_code == 400


def test_no_sale_with_the_printer_off_says_so_and_is_audited(
    as_user: Any, store: Store, printer: VirtualPrinterServer
) -> None:
    supervisor = as_user("supervisor")
    printer.go_offline()
    answer = supervisor.post("/api/v1/drawer/open", json={"reason": "float"})
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "drawer_not_opened" and "cannot be reached" in error["message"]
    [entry] = audit(store, "no_sale")
    assert entry["outcome"] == "failure" and "cannot be reached" in entry["details"]["error"]
    printer.go_online()
    assert supervisor.post("/api/v1/drawer/open", json={"reason": "float"}).status_code == 200
    assert len(printer.printer.pulses) == 1, "the failed one did not open it later"


def test_without_a_printer(as_role: Any) -> None:
    supervisor = as_role("supervisor")
    answer = supervisor.post("/api/v1/drawer/open", json={"reason": "float"})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "no_printer"
    assert supervisor.get("/api/v1/printer").json()["configured"] is False


def test_the_receipt_bytes_carry_the_kick_first() -> None:
    from tests.integration.devices import conftest  # noqa: F401  (fixtures only)

    class _Shop:
        class config:
            printer_profile = "80mm"

    data = receipt_bytes(_Shop(), hardware_receipt(), open_drawer=DrawerKick(pin=2, on_ms=100))  # type: ignore[arg-type]
    assert data.startswith(b"\x1b@" + DrawerKick(pin=2, on_ms=100).command())
