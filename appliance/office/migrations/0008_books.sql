-- change: expand
-- The chain's books (docs/office.md, "The chain's books"): what the lanes' events say about
-- money, in rows the reports can add up. Filled by the books projection in the transaction
-- that stores each event (once); keyed by the till's own ids, so an event coming late or out
-- of order lands in its place. Amounts are integer minor units with their currency.
-- No foreign keys: every row comes from a lane's event (lane_events holds the lane's), and a
-- check per row would be paid on every event ingested.

-- A sale's lines, taxes and tenders are arrays of its row, as the event gave them (read back
-- with jsonb_to_recordset): one row written per sale, which is what ingest pays for the books.
--   lines:   [{line_no, sku, quantity, unit_price, discount, tax_class}]
--   taxes:   [{name, rate, base, amount}]   (one per name and rate)
--   tenders: [{n, method, amount, rounding}]
CREATE TABLE book_sales (
    store         text NOT NULL,
    till          text NOT NULL,
    sale_id       bigint NOT NULL,
    seq           bigint NOT NULL,
    receipt_no    bigint NULL,
    completed_at  timestamptz NOT NULL,
    currency      text NOT NULL,
    subtotal      bigint NOT NULL,
    tax           bigint NOT NULL,
    total         bigint NOT NULL,
    discount      bigint NOT NULL,
    cash_rounding bigint NOT NULL,
    lines         jsonb NOT NULL,
    taxes         jsonb NOT NULL,
    tenders       jsonb NOT NULL,
    PRIMARY KEY (store, till, sale_id)
);
CREATE INDEX book_sales_when ON book_sales (store, completed_at);

-- Refunds of a sale and returns without a receipt; `at` is the event's time at the till.
CREATE TABLE book_refunds (
    store     text NOT NULL,
    till      text NOT NULL,
    refund_id bigint NOT NULL,
    receipted boolean NOT NULL,   -- false: a return without a receipt (return_id)
    sale_id   bigint NULL,
    at        timestamptz NOT NULL,
    currency  text NOT NULL,
    amount    bigint NOT NULL,
    tax       bigint NOT NULL,
    rounding  bigint NOT NULL DEFAULT 0,
    refund_to text NOT NULL,      -- original (the sale's tenders), cash, gift_card
    PRIMARY KEY (store, till, receipted, refund_id)
);
CREATE INDEX book_refunds_when ON book_refunds (store, at);

CREATE TABLE book_cash_moves (
    store    text NOT NULL,
    till     text NOT NULL,
    seq      bigint NOT NULL,
    shift_id bigint NOT NULL,
    kind     text NOT NULL CHECK (kind IN ('paid_in', 'paid_out')),
    at       timestamptz NOT NULL,
    currency text NOT NULL,
    amount   bigint NOT NULL,
    PRIMARY KEY (store, till, seq)
);

-- A shift as its lane told it: opened (shift_opened), closed with its Z (shift_closed), in
-- either order.
CREATE TABLE book_shifts (
    store     text NOT NULL,
    till      text NOT NULL,
    shift_id  bigint NOT NULL,
    opened_at timestamptz NULL,
    closed_at timestamptz NULL,
    currency  text NULL,
    z         jsonb NULL,
    PRIMARY KEY (store, till, shift_id)
);
CREATE INDEX book_shifts_closed ON book_shifts (store, closed_at);
