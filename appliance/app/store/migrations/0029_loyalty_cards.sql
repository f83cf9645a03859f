-- change: expand
-- A loyalty card's number (its barcode): a scan finds the customer at the till, and points
-- are spent only by whoever shows the card, or with a supervisor's approval.
ALTER TABLE customers ADD COLUMN loyalty_card TEXT;
CREATE UNIQUE INDEX customers_loyalty_card ON customers(loyalty_card) WHERE loyalty_card IS NOT NULL;

-- Whether the sale's customer was named by a scan of their card (and so may spend points).
ALTER TABLE sale_customers ADD COLUMN card_shown INTEGER NOT NULL DEFAULT 0 CHECK (card_shown IN (0, 1));
