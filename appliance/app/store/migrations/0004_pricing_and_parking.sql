-- change: expand
-- Discounts, price overrides, promotions, weighed items and parked sales.

ALTER TABLE products ADD COLUMN category TEXT;
-- 'unit', or 'weight' when the price is per kilogram and the scale's barcode says how much
ALTER TABLE products ADD COLUMN sold_by TEXT NOT NULL DEFAULT 'unit';

ALTER TABLE sale_lines ADD COLUMN category TEXT;
ALTER TABLE sale_lines ADD COLUMN discount_kind TEXT;
ALTER TABLE sale_lines ADD COLUMN discount_value INTEGER;
ALTER TABLE sale_lines ADD COLUMN discount_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE sale_lines ADD COLUMN original_price INTEGER;
ALTER TABLE sale_lines ADD COLUMN override_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE sale_lines ADD COLUMN measure TEXT NOT NULL DEFAULT '';
-- What was taken off the line in all, and by which promotion: frozen when the sale completes.
ALTER TABLE sale_lines ADD COLUMN discount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sale_lines ADD COLUMN promotion TEXT;

ALTER TABLE sales ADD COLUMN order_discount_kind TEXT;
ALTER TABLE sales ADD COLUMN order_discount_value INTEGER;
ALTER TABLE sales ADD COLUMN order_discount_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE sales ADD COLUMN discount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sales ADD COLUMN business_day TEXT;
ALTER TABLE sales ADD COLUMN parked_at TEXT;
ALTER TABLE sales ADD COLUMN parked_by INTEGER REFERENCES users(id);
CREATE INDEX sales_parked ON sales(terminal_id) WHERE parked_at IS NOT NULL;

CREATE TABLE promotions (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('multi_price', 'buy_n_get_one', 'category_percent')),
    product_id  INTEGER REFERENCES products(id),
    category    TEXT,
    quantity    INTEGER NOT NULL DEFAULT 0,
    price       INTEGER NOT NULL DEFAULT 0,
    percent     INTEGER NOT NULL DEFAULT 0,   -- basis points
    starts      TEXT NOT NULL,                -- YYYY-MM-DD, the shop's calendar
    ends        TEXT NOT NULL,                -- inclusive
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL
);
