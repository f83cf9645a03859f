-- change: expand
-- More of what the office owns on its feed (issue 17 point 4, docs/office.md "Down"): prices
-- from a date, staff of a store, a store's rules, item grids, promotions. They take versions from the same counter as
-- the catalogue, so one cursor per lane still says how far it has applied all of it.
--
-- A row with a store goes to that store's lanes only; NULL: to every lane of the chain.
ALTER TABLE catalogue ADD COLUMN store text NULL REFERENCES stores (name);
ALTER TABLE catalogue DROP CONSTRAINT catalogue_kind_check;
ALTER TABLE catalogue ADD CONSTRAINT catalogue_kind_check
    CHECK (kind IN ('tax_class', 'category', 'product', 'price', 'staff', 'store_rules', 'item_grid', 'promotion'));
-- A price's key is STORE|SKU|FROM: longer than a sku.
ALTER TABLE catalogue DROP CONSTRAINT catalogue_key_check;
ALTER TABLE catalogue ADD CONSTRAINT catalogue_key_check CHECK (length(key) BETWEEN 1 AND 200);
