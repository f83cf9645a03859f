"""What the cashier screen needs of the receipt printer: how many prints wait and, when
they are stuck, why (in words); and a supervisor's reprint (marked COPY) and cancel.
Reprints and cancels are audited: a second receipt can be used to return goods twice."""

from __future__ import annotations

from typing import Any, TypedDict

from appliance.app.domain.errors import Conflict
from appliance.app.services import audit_log, print_queue
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import sales as sales_store
from appliance.security.rbac import Permission


class WaitingJob(TypedDict):
    id: int
    kind: str
    sale_id: int | None
    attempts: int
    last_error: str | None
    created_at: str


class PrinterState(TypedDict):
    configured: bool
    running: bool  # a worker prints the queue
    pending: int
    problem: str | None  # why prints are stuck, if they are
    jobs: list[WaitingJob]  # the first 50 waiting


class JobAnswer(TypedDict):
    job: int
    kind: str
    sale_id: int | None
    status: str


def _worker(shop: Shop) -> Any:
    return shop.devices.printer if shop.devices else None


def state(shop: Shop, actor: Actor) -> PrinterState:
    require(shop, actor, Permission.SELL)
    queued = print_queue.queue_state(shop.db.conn)
    worker = _worker(shop)
    problem = queued.problem or (worker.problem if worker is not None and queued.pending else None)
    return {
        "configured": shop.config.printer != "none",
        "running": worker is not None,
        "pending": queued.pending,
        "problem": problem,
        "jobs": [
            {
                "id": job.id,
                "kind": job.kind,
                "sale_id": job.sale_id,
                "attempts": job.attempts,
                "last_error": job.last_error,
                "created_at": job.created_at,
            }
            for job in print_queue.pending_jobs(shop.db.conn)[:50]
        ],
    }


def reprint(shop: Shop, actor: Actor, sale_id: int, approval: str | None = None) -> JobAnswer:
    if shop.config.printer == "none":
        raise Conflict("this till has no receipt printer", "no_printer")
    with shop.db.transaction() as tx:
        approver = require(shop, actor, Permission.REPRINT, approval)
        job_id = print_queue.reprint(shop, sale_id)  # joins this transaction
        receipt_no = sales_store.receipt_no(tx, sale_id)
        audit_log.record(
            shop,
            actor=actor,
            action="receipt_reprint",
            object=f"sale:{sale_id}",
            details={"job": job_id, "receipt_no": receipt_no, "approved_by": approver},
        )
    _wake(shop)
    return {"job": job_id, "sale_id": sale_id, "kind": "copy", "status": "pending"}


def cancel(shop: Shop, actor: Actor, job_id: int, approval: str | None = None) -> JobAnswer:
    with shop.db.transaction():
        approver = require(shop, actor, Permission.REPRINT, approval)
        job = print_queue.cancel(shop.db, job_id, now=shop.now())  # joins this transaction
        audit_log.record(
            shop,
            actor=actor,
            action="print_job_cancel",
            object=f"print_job:{job_id}",
            details={"kind": job.kind, "sale_id": job.sale_id, "attempts": job.attempts, "approved_by": approver},
        )
    _wake(shop)  # the next job in line need not wait out this one's retry pause
    return {"job": job.id, "kind": job.kind, "sale_id": job.sale_id, "status": job.status}


def _wake(shop: Shop) -> None:
    worker = _worker(shop)
    if worker is not None:
        worker.wake()
