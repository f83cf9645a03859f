-- change: expand
-- More of the office's feed (issue 17 point 4, docs/office.md "Down"): prices from a date,
-- staff of this store, this store's rules, item grids, promotions.
--
-- Prices the office set from a moment, for the chain or for this store only (`store_only`),
-- kept ahead of their start: a scan takes the one in force at its moment (the latest start
-- at or before it; at the same start, this store's), else the product's own price.
CREATE TABLE office_prices (
    sku        TEXT NOT NULL,
    starts     TEXT NOT NULL,  -- UTC, as services/shop.iso writes a moment: ordered as text
    store_only INTEGER NOT NULL CHECK (store_only IN (0, 1)),
    price      INTEGER NOT NULL CHECK (price >= 0),
    version    INTEGER NOT NULL,
    PRIMARY KEY (sku, starts, store_only)
);

-- A person with an office_version came from the office's feed (the version of the change last
-- applied): the office owns their role, password, PIN and whether they may log in. NULL: a
-- person made at this till, who stays the till's.
ALTER TABLE users ADD COLUMN office_version INTEGER;

-- A promotion from the office's feed: its key there (STORE|CODE, or *|CODE for the chain's).
-- NULL: the till's own. A change at the office ends the till's row and starts a new one, so
-- the sales that had the old terms keep pointing at them.
ALTER TABLE promotions ADD COLUMN office_key TEXT;
CREATE INDEX promotions_office_key ON promotions (office_key) WHERE office_key IS NOT NULL;
