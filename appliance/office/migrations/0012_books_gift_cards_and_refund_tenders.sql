-- change: expand
-- What newer lanes' events tell the books (docs/office.md, "The chain's books"). NULL: the
-- event came from a till older than this, which did not say; the books then count as they
-- did before (a card loaded as a sale, a refund paid to "Refunds paid").

-- Money loaded on gift cards by the sale (sold or topped up): owed, not earned.
ALTER TABLE book_sales ADD COLUMN gift_cards bigint NULL;
ALTER TABLE book_sales ADD COLUMN gift_card_count integer NULL;

-- The tenders a refund's money went to, [{method, amount, rounding}] (method: the sale's
-- tender, store_credit or exchange), and what it took back off the gift cards its lines sold.
-- The cash rounding of a refund goes in the existing `rounding`, as a receiptless return's does.
ALTER TABLE book_refunds ADD COLUMN tenders jsonb NULL;
ALTER TABLE book_refunds ADD COLUMN gift_cards bigint NULL;
