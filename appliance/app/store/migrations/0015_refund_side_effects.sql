-- change: expand
-- Points a refund takes back from the customer who earned them on the sale. What the
-- customer had already spent is owed, not forgiven: their next earnings pay it off first, so
-- buying, spending the points and returning the goods does not leave the points' value in hand.
ALTER TABLE customers ADD COLUMN points_owed INTEGER NOT NULL DEFAULT 0 CHECK (points_owed >= 0);

CREATE TABLE loyalty_take_backs (
    refund_id   INTEGER PRIMARY KEY REFERENCES refunds(id),
    sale_id     INTEGER NOT NULL REFERENCES sales(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    taken       INTEGER NOT NULL CHECK (taken >= 0),   -- off the balance
    owed        INTEGER NOT NULL CHECK (owed >= 0)     -- added to points_owed
);
CREATE INDEX loyalty_take_backs_sale ON loyalty_take_backs(sale_id);

-- A gift card sold or topped up on a line that is returned has that money taken off again:
-- which cards a line activated, and which of them a refund has taken back.
ALTER TABLE gift_card_pending ADD COLUMN activated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gift_card_pending ADD COLUMN returned INTEGER NOT NULL DEFAULT 0;
UPDATE gift_card_pending SET activated = 1
 WHERE applied = 1 AND EXISTS (SELECT 1 FROM gift_card_entries e
                                WHERE e.card_id = gift_card_pending.card_id AND e.sale_id = gift_card_pending.sale_id
                                  AND e.kind = gift_card_pending.kind);
