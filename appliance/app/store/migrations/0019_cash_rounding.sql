-- change: expand
-- Cash rounding (the store rule cash_rounding: Canada has had no cent since 2013). A cash
-- tender that settles a sale applies the whole due (`amount`) while the drawer keeps the
-- due rounded to the smallest coin: `rounding` is the difference, signed, in minor units,
-- so that tendered - change = amount + rounding. The sale keeps the sum of its tenders'
-- rounding for its receipt and reports; a cash refund rounds what leaves the drawer the
-- same way (refund_tenders.rounding: what is handed back = amount + rounding).
ALTER TABLE payments ADD COLUMN rounding INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sales ADD COLUMN cash_rounding INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refund_tenders ADD COLUMN rounding INTEGER NOT NULL DEFAULT 0;
