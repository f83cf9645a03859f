-- change: expand
-- Stock as a ledger (issue 17 point 6, docs/office.md "Stock"): every movement of every lane
-- of a store, never an absolute figure; the store's on-hand is their sum, read through the
-- index (no running total: two lanes pushing at once would queue on its row, or deadlock when
-- their batches name products in another order). Reorder points and levels per store and
-- product, and the store's purchase orders, are the office's own.

-- till is '' for a movement made at the office (goods received against its purchase order);
-- seq and line name the lane's event and the line in it, so an event is never counted twice.
CREATE TABLE stock_movements (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store       text NOT NULL REFERENCES stores (name),
    till        text NOT NULL,
    seq         bigint NULL,
    line        integer NOT NULL DEFAULT 0,
    sku         text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
    kind        text NOT NULL CHECK (kind ~ '^[a-z][a-z_]{0,31}$'),
    delta       bigint NOT NULL CHECK (delta <> 0),
    lane_on_hand bigint NULL,        -- what the lane had after it (a count: the figure counted)
    reason      text NOT NULL DEFAULT '',
    ref         text NULL,
    at          text NOT NULL,       -- the lane's time (the office's for its own)
    by          text NULL,
    recorded_at timestamptz NOT NULL,
    UNIQUE (store, till, seq, line)
);
CREATE INDEX stock_movements_product ON stock_movements (store, sku) INCLUDE (delta);

CREATE TABLE stock_rules (
    store         text NOT NULL REFERENCES stores (name),
    sku           text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
    reorder_point bigint NOT NULL CHECK (reorder_point >= 0),
    reorder_level bigint NOT NULL,
    changed_at    timestamptz NOT NULL,
    changed_by    text NOT NULL,
    PRIMARY KEY (store, sku),
    CHECK (reorder_level > reorder_point)
);

CREATE TABLE purchase_orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store       text NOT NULL REFERENCES stores (name),
    supplier    text NOT NULL CHECK (length(supplier) BETWEEN 1 AND 120),
    status      text NOT NULL CHECK (status IN ('draft', 'sent', 'received', 'cancelled')),
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL,
    sent_at     timestamptz NULL,
    received_at timestamptz NULL
);
CREATE INDEX purchase_orders_store ON purchase_orders (store, status);

CREATE TABLE purchase_order_lines (
    order_id bigint NOT NULL REFERENCES purchase_orders (id),
    sku      text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
    quantity bigint NOT NULL CHECK (quantity > 0),
    received bigint NOT NULL DEFAULT 0 CHECK (received >= 0),
    PRIMARY KEY (order_id, sku)
);
