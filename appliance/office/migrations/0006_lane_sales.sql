-- change: expand
-- Returns across lanes (docs/office.md, "Returns across lanes"): each lane's completed sales
-- and their lines, from its `sale_completed` events; what was given back of each line, from
-- `refund` and `refund_across_lanes` events; and the quantities a lane holds while it
-- refunds a receipt of another lane. Events come out of order: a refund may be held before
-- the sale it names, so the refunded rows name their sale without a foreign key.

CREATE TABLE lane_sales (
    store        text NOT NULL,
    till         text NOT NULL,
    sale_id      bigint NOT NULL,
    terminal_id  text NOT NULL,          -- with receipt_no, the number printed: T01-000042
    receipt_no   bigint NOT NULL,
    currency     text NOT NULL,
    completed_at text NOT NULL,
    subtotal     bigint NOT NULL,
    tax          bigint NOT NULL,
    total        bigint NOT NULL,
    discount     bigint NOT NULL,
    taxes        jsonb NOT NULL,
    tenders      jsonb NOT NULL,         -- methods and amounts only, as the event carries them
    PRIMARY KEY (store, till, sale_id),
    FOREIGN KEY (store, till) REFERENCES lanes (store, till)
);
CREATE INDEX lane_sales_receipt ON lane_sales (terminal_id, receipt_no);

CREATE TABLE lane_sale_lines (
    store      text NOT NULL,
    till       text NOT NULL,
    sale_id    bigint NOT NULL,
    line_no    integer NOT NULL,
    product_id bigint NULL,
    sku        text NOT NULL,
    quantity   integer NOT NULL CHECK (quantity > 0),
    unit_price bigint NOT NULL,
    discount   bigint NOT NULL,
    tax_class  text NOT NULL,
    PRIMARY KEY (store, till, sale_id, line_no),
    FOREIGN KEY (store, till, sale_id) REFERENCES lane_sales (store, till, sale_id)
);

-- One row per line a refund gave back, whichever lane made it (by_store, by_till); `refund`
-- is that lane's own name for it (refund:7, or across:3), so a refund is counted once.
CREATE TABLE lane_refunded (
    store    text NOT NULL,
    till     text NOT NULL,
    sale_id  bigint NOT NULL,
    line_no  integer NOT NULL,
    by_store text NOT NULL,
    by_till  text NOT NULL,
    refund   text NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0),
    seq      bigint NOT NULL,            -- the refunding lane's event
    PRIMARY KEY (store, till, sale_id, line_no, by_store, by_till, refund)
);

-- What a lane holds of a sale's lines while it refunds them: held, then used (its refund's
-- event came) or released (the refund failed). Held quantities are not returnable elsewhere.
CREATE TABLE return_holds (
    by_store   text NOT NULL,
    by_till    text NOT NULL,
    hold_key   text NOT NULL,
    line_no    integer NOT NULL,
    store      text NOT NULL,
    till       text NOT NULL,
    sale_id    bigint NOT NULL,
    quantity   integer NOT NULL CHECK (quantity > 0),
    status     text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'used', 'released')),
    created_at timestamptz NOT NULL,
    closed_at  timestamptz NULL,
    PRIMARY KEY (by_store, by_till, hold_key, line_no),
    FOREIGN KEY (store, till, sale_id) REFERENCES lane_sales (store, till, sale_id)
);
CREATE INDEX return_holds_sale ON return_holds (store, till, sale_id) WHERE status = 'held';
