-- change: expand
-- A return without a receipt paid in cash hands back whole coins, as a refund's cash does
-- (refund_tenders.rounding): what left the drawer is amount + cash_rounding.
ALTER TABLE receiptless_returns ADD COLUMN cash_rounding INTEGER NOT NULL DEFAULT 0;
