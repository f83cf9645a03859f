-- change: expand
-- Customers with the least personal data that loyalty needs. Erasing a customer blanks
-- the person in place (name, email, phone) and keeps the row, so the sales that point to
-- it stay whole and the totals do not move.

CREATE TABLE customers (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT,
    phone      TEXT,
    consent    INTEGER NOT NULL,          -- agreed to be kept on file (and contacted)
    points     INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    erased_at  TEXT
);
CREATE UNIQUE INDEX customers_email ON customers(email COLLATE NOCASE) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX customers_phone ON customers(phone) WHERE phone IS NOT NULL;
CREATE INDEX customers_name ON customers(name COLLATE NOCASE);

-- Which customer a sale was made to (a sale has at most one).
CREATE TABLE sale_customers (
    sale_id     INTEGER PRIMARY KEY REFERENCES sales(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id)
);
CREATE INDEX sale_customers_customer ON sale_customers(customer_id, sale_id);

-- Every change of a customer's points: earned on a sale, redeemed as a tender, adjusted.
CREATE TABLE loyalty_entries (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    kind        TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'adjust')),
    points      INTEGER NOT NULL,         -- + earned, - redeemed
    sale_id     INTEGER REFERENCES sales(id),
    payment_id  INTEGER REFERENCES payments(id),
    user_id     INTEGER REFERENCES users(id),
    reason      TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX loyalty_entries_customer ON loyalty_entries(customer_id, id);
