-- change: expand
-- A receipt of another lane given back here (services/returns_across.py): the money and the
-- goods are a return on this till's ledger of returns (receiptless_returns, so the drawer,
-- the Z report, the slip and the stock count it as they count any return), and this row says
-- which sale of which lane it was, with the hold the office granted for it.
CREATE TABLE returns_across_lanes (
    return_id      INTEGER PRIMARY KEY REFERENCES receiptless_returns(id),
    hold_key       TEXT NOT NULL UNIQUE,
    origin_store   TEXT NOT NULL,
    origin_till    TEXT NOT NULL,
    origin_sale_id INTEGER NOT NULL,
    receipt_number TEXT NOT NULL,
    lines          TEXT NOT NULL  -- JSON [{"line": 1, "quantity": 2}], the original sale's line numbers
);
