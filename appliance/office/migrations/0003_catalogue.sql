-- change: expand
-- What the office owns of the chain's catalogue (issue 17 point 4): tax classes, categories
-- and products, each row as it is now, stamped with the version of its last change.
--
-- One counter numbers every change; a till asks "what changed after version N" and gets each
-- thing changed since, as it is now (a product changed twice is sent once). Writers take the
-- counter's row lock and hold it to their commit, so versions commit in the order they were
-- given: a till that saw version N can never later find a smaller one appear.

CREATE TABLE catalogue_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint NOT NULL CHECK (version >= 0)
);
INSERT INTO catalogue_head (version) VALUES (0);

CREATE TABLE catalogue (
    kind       text NOT NULL CHECK (kind IN ('tax_class', 'category', 'product')),
    key        text NOT NULL CHECK (length(key) BETWEEN 1 AND 64),  -- code, name or sku
    body       jsonb NOT NULL,
    removed    boolean NOT NULL DEFAULT false,  -- a product withdrawn by the chain
    version    bigint NOT NULL UNIQUE CHECK (version > 0),
    changed_at timestamptz NOT NULL,
    changed_by text NOT NULL,
    PRIMARY KEY (kind, key)
);
-- A barcode belongs to one product of the chain; kept beside the rows to check it in SQL.
CREATE TABLE catalogue_barcodes (
    code text PRIMARY KEY,
    sku  text NOT NULL
);
CREATE INDEX catalogue_barcodes_sku ON catalogue_barcodes (sku);
