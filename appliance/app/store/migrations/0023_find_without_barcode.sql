-- Finding an item that carries no barcode: a PLU for loose produce (4 or 5 digits, e.g.
-- 4011 bananas; a code of its own, never one of the product's barcodes), and the till's
-- grid of item buttons, arranged per store in the back office: tabs (categories) in their
-- order, each with its products in theirs.

ALTER TABLE products ADD COLUMN plu TEXT;
CREATE UNIQUE INDEX products_plu ON products(plu) WHERE plu IS NOT NULL;

CREATE TABLE item_grid (
    tab         INTEGER NOT NULL,    -- the tab's place, from 0
    category_id INTEGER NOT NULL REFERENCES categories(id),
    position    INTEGER NOT NULL,    -- the button's place on its tab, from 0
    product_id  INTEGER NOT NULL REFERENCES products(id),
    PRIMARY KEY (tab, position),
    UNIQUE (category_id, product_id)
);
