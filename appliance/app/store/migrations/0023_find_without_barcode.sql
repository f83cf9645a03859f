-- change: expand
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

-- The words of product names, for the till's search by name: "choc" finds "Pain au
-- chocolat" through an index, where LIKE '% choc%' read every name (two seconds in a shop
-- of 100,000 products). Kept in step with products by the triggers below.
CREATE VIRTUAL TABLE product_words USING fts5(
    name, content = 'products', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO product_words(product_words) VALUES ('rebuild');
CREATE TRIGGER product_words_insert AFTER INSERT ON products BEGIN
    INSERT INTO product_words(rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER product_words_delete AFTER DELETE ON products BEGIN
    INSERT INTO product_words(product_words, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER product_words_update AFTER UPDATE OF name ON products BEGIN
    INSERT INTO product_words(product_words, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO product_words(rowid, name) VALUES (new.id, new.name);
END;
