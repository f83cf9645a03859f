-- change: expand
-- The office's catalogue feed (issue 17 point 4, docs/office.md): which products the office
-- owns, and how far this till has applied the office's changes.
--
-- A product with an office_version came from the office's feed (the version of the change
-- last applied to it): the office owns its name, price, tax class, barcodes, category, PLU
-- and whether it is on sale, and the till refuses to change those. NULL: the till's own.
ALTER TABLE products ADD COLUMN office_version INTEGER;

-- One row: the version of the office's catalogue this till has applied up to and including.
-- Moved in the very transaction that applies the rows up to it, so a crash re-applies
-- nothing twice and loses nothing.
CREATE TABLE office_feed (
    only_row   INTEGER PRIMARY KEY CHECK (only_row = 1),
    cursor     INTEGER NOT NULL CHECK (cursor >= 0),
    applied_at TEXT NOT NULL
);
