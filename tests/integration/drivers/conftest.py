from __future__ import annotations

from collections.abc import Iterator

import pytest

from appliance.app.domain.receipt import Receipt
from tests.fakes.escpos_printer import Paper, VirtualPrinterServer


@pytest.fixture
def network_printer() -> Iterator[VirtualPrinterServer]:
    with VirtualPrinterServer() as server:
        yield server


def assert_receipt_on(paper: Paper, receipt: Receipt) -> None:
    """The paper says what the shop needs it to say: who sold, what, for how much, and the
    number a return will scan."""
    assert paper.unknown == []
    assert paper.line_with(receipt.store_name).bold
    for line in receipt.lines:
        assert paper.line_with(line.name[:20])
    total = paper.line_with(f"TOTAL {receipt.currency}")
    assert total.bold
    assert [b.data for b in paper.barcodes] == [receipt.number]
    marks = [line for line in paper.lines if line.text == "*** COPY ***"]
    assert len(marks) == (2 if receipt.copy else 0)
