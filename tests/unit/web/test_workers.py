"""The worker threads a request's service call hops to (appliance/app/web/workers.py)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import TypeVar

import pytest

from appliance.app.web.workers import Workers
from tests.loops import run_loop

asked_by: contextvars.ContextVar[str] = contextvars.ContextVar("asked_by", default="nobody")
T = TypeVar("T")


def test_the_work_runs_on_a_daemon_thread_in_the_callers_context() -> None:
    workers = Workers()

    def work() -> tuple[str, bool, bool]:
        here = threading.current_thread()
        return asked_by.get(), here is threading.main_thread(), here.daemon

    async def request() -> tuple[str, bool, bool]:
        asked_by.set("till 1")
        return await workers.run(work)

    assert run_loop(request()) == ("till 1", False, True)


def test_an_error_reaches_the_caller_as_raised() -> None:
    workers = Workers()

    def work() -> None:
        raise LookupError("no sale 7")

    with pytest.raises(LookupError, match="no sale 7"):
        run_loop(workers.run(work))
    assert workers.busy == 0


def test_one_request_after_another_lands_on_the_same_thread() -> None:
    """The thread back last takes the next job: its store connection's cache is the warm one."""
    workers = Workers()

    async def requests() -> set[int]:
        return {await workers.run(threading.get_ident) for _ in range(20)}

    assert len(run_loop(requests())) == 1


def test_no_more_threads_than_the_size_and_every_job_runs() -> None:
    workers = Workers(size=2)
    gate = threading.Barrier(2, timeout=5)
    seen: set[int] = set()

    def work(n: int) -> int:
        seen.add(threading.get_ident())
        if n < 2:
            gate.wait()  # the first two hold both threads until both run
        return n

    async def requests() -> list[int]:
        return list(await asyncio.gather(*(workers.run(lambda n=n: work(n)) for n in range(6))))

    assert run_loop(requests()) == [0, 1, 2, 3, 4, 5]
    assert len(seen) == 2


def test_a_cancelled_request_waits_for_its_work_to_end() -> None:
    """A client gone or a shutdown never leaves a write running under a closing store."""
    workers = Workers()
    started, release = threading.Event(), threading.Event()
    ended: list[str] = []

    def work() -> None:
        started.set()
        release.wait(5)
        ended.append("work")

    async def scenario() -> None:
        request = asyncio.ensure_future(workers.run(work))
        while not started.is_set():
            await asyncio.sleep(0.001)
        request.cancel()
        await asyncio.sleep(0.01)
        assert not request.done()  # still waiting for the work
        request.cancel()  # cancelled again: still waiting
        await asyncio.sleep(0.01)
        assert not request.done()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await request
        ended.append("request")

    run_loop(scenario())
    assert ended == ["work", "request"]


def test_drained_waits_for_the_work_under_way() -> None:
    workers = Workers()
    release = threading.Event()

    async def scenario() -> tuple[bool, bool]:
        request = asyncio.ensure_future(workers.run(lambda: release.wait(5)))
        await asyncio.sleep(0.01)
        while_running = await workers.drained(0.05)
        release.set()
        await request
        return while_running, await workers.drained(1)

    assert run_loop(scenario()) == (False, True)
