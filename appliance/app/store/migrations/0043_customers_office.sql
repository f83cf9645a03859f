-- change: expand
-- Customers shared through the office (docs/office.md, "Customers across lanes").
-- chain_id: the customer's id across the chain (32 hex digits, random: minted here for a
-- customer made here, the office's for a copy of one made at another lane).
ALTER TABLE customers ADD COLUMN chain_id TEXT;
UPDATE customers SET chain_id = lower(hex(randomblob(16))) WHERE erased_at IS NULL;
CREATE UNIQUE INDEX customers_chain_id ON customers(chain_id) WHERE chain_id IS NOT NULL;

-- What the office has not heard yet: one row per customer made, changed or erased here since
-- the office last took it. What is sent is read from the customer's row when sent (so the
-- office gets the latest, and an erased customer's data is never queued anywhere);
-- `changes` counts the changes, so that a send that crossed a new change leaves its row.
CREATE TABLE customers_to_office (
    customer_id INTEGER PRIMARY KEY REFERENCES customers(id),
    changes     INTEGER NOT NULL DEFAULT 1,
    tries       INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
-- Those already on file go to the office once this till is enrolled.
INSERT INTO customers_to_office(customer_id) SELECT id FROM customers WHERE erased_at IS NULL;

-- Points as one balance (docs/office.md): on an enrolled till the office holds the ledger of
-- record; a customer's `points` here is the office's figure as it last answered, less what was
-- spent here since. What this till spent of them while the office was silent, since it last
-- answered for them: the chain's offline cap bounds it.
ALTER TABLE customers ADD COLUMN points_offline_spent INTEGER NOT NULL DEFAULT 0;
