-- change: expand
-- Stock beyond what sales move: what each product cost, when to reorder it, who supplies
-- it; every change to on-hand that is not a sale or a refund is a movement with a reason,
-- so the on-hand figure can always be explained line by line.

CREATE TABLE suppliers (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    email      TEXT,
    phone      TEXT,
    created_at TEXT NOT NULL
);

ALTER TABLE products ADD COLUMN cost INTEGER NOT NULL DEFAULT 0 CHECK (cost >= 0);   -- minor units, per unit
ALTER TABLE products ADD COLUMN reorder_point INTEGER;                                -- NULL: never reordered
ALTER TABLE products ADD COLUMN reorder_quantity INTEGER;                             -- NULL: up to twice the point
ALTER TABLE products ADD COLUMN supplier_id INTEGER REFERENCES suppliers(id);
-- 0 for things that are not goods on a shelf (a gift card): no stock, no reorder.
ALTER TABLE products ADD COLUMN stock_tracked INTEGER NOT NULL DEFAULT 1;

-- kind: adjustment (damaged, stolen, found…), count (a physical count set the figure),
-- receipt (goods received against a purchase order).
CREATE TABLE stock_movements (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products(id),
    kind        TEXT NOT NULL CHECK (kind IN ('adjustment', 'count', 'receipt')),
    quantity    INTEGER NOT NULL,          -- the change to on-hand, + or -
    on_hand     INTEGER NOT NULL,          -- on-hand after the change
    reason      TEXT NOT NULL,
    reference   TEXT,                      -- e.g. po:12
    user_id     INTEGER NOT NULL REFERENCES users(id),
    at          TEXT NOT NULL
);
CREATE INDEX stock_movements_product ON stock_movements(product_id, id);
CREATE INDEX stock_movements_at ON stock_movements(at);

CREATE TABLE purchase_orders (
    id          INTEGER PRIMARY KEY,
    supplier_id INTEGER NOT NULL REFERENCES suppliers(id),
    status      TEXT NOT NULL CHECK (status IN ('draft', 'ordered', 'partial', 'received', 'cancelled')),
    note        TEXT NOT NULL DEFAULT '',
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL,
    ordered_at  TEXT,
    closed_at   TEXT
);
CREATE INDEX purchase_orders_status ON purchase_orders(status, id);

CREATE TABLE purchase_order_lines (
    id                INTEGER PRIMARY KEY,
    po_id             INTEGER NOT NULL REFERENCES purchase_orders(id),
    product_id        INTEGER NOT NULL REFERENCES products(id),
    quantity_ordered  INTEGER NOT NULL CHECK (quantity_ordered > 0),
    quantity_received INTEGER NOT NULL DEFAULT 0 CHECK (quantity_received >= 0),
    unit_cost         INTEGER NOT NULL CHECK (unit_cost >= 0),
    UNIQUE (po_id, product_id)
);
