-- change: contract (products.category and promotions.category dropped for category_id)
-- Categories are rows of their own: a product and a category offer point at one, so a typo
-- ("diary") is refused instead of making an offer that prices nothing. Names are unique
-- whatever their case ("Dairy" and "dairy" are one category, the first spelling kept) and
-- are never renamed, so the name a sale line froze at the scan still says which it was.
-- The free-text categories of products and offers become rows here; sale_lines.category
-- stays text: it is history, what the line was when it was sold.

CREATE TABLE categories (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL
);

INSERT OR IGNORE INTO categories(name, created_at)
SELECT trim(category), strftime('%Y-%m-%dT%H:%M:%fZ') FROM products
 WHERE trim(coalesce(category, '')) <> '' ORDER BY id;
INSERT OR IGNORE INTO categories(name, created_at)
SELECT trim(category), strftime('%Y-%m-%dT%H:%M:%fZ') FROM promotions
 WHERE trim(coalesce(category, '')) <> '' ORDER BY id;

ALTER TABLE products ADD COLUMN category_id INTEGER REFERENCES categories(id);
UPDATE products SET category_id = (SELECT c.id FROM categories c WHERE c.name = trim(products.category))
 WHERE trim(coalesce(category, '')) <> '';
ALTER TABLE products DROP COLUMN category;
CREATE INDEX products_category ON products(category_id);

ALTER TABLE promotions ADD COLUMN category_id INTEGER REFERENCES categories(id);
UPDATE promotions SET category_id = (SELECT c.id FROM categories c WHERE c.name = trim(promotions.category))
 WHERE trim(coalesce(category, '')) <> '';
ALTER TABLE promotions DROP COLUMN category;
