-- change: expand
-- A card payment whose answer was lost is settled only by the acquirer's definitive answer
-- (docs/acquirer-protocol.md, "the in-flight window"). Each attempt says whether, and when,
-- its request may have left the till: the stamp is committed BEFORE each send, so an attempt
-- with sends = 0 was never sent (nothing can have been charged), and a "not found" is final
-- only once the window has passed since its last send.
ALTER TABLE payment_attempts ADD COLUMN sends INTEGER NOT NULL DEFAULT 0 CHECK (sends >= 0);
ALTER TABLE payment_attempts ADD COLUMN first_sent_at TEXT;
ALTER TABLE payment_attempts ADD COLUMN last_sent_at TEXT;
-- When the acquirer answered the void of an approval its sale could not take: until then
-- the void is sent again (at start-up and by the background resolver).
ALTER TABLE payment_attempts ADD COLUMN void_sent_at TEXT;
-- Attempts made before this migration that are still pending may have been sent.
UPDATE payment_attempts SET sends = 1, first_sent_at = created_at, last_sent_at = created_at
 WHERE status = 'pending';

-- A card refund's row is written in the refund's own transaction from now on; a refund that
-- a crash left without its row (committed, never sent) gets it here, to be sent at start-up.
INSERT OR IGNORE INTO card_refunds (refund_id, payment_id, amount, idempotency_key, status, created_at)
SELECT t.refund_id, t.payment_id, t.amount,
       'cmp-refund-' || t.refund_id || '-' || t.payment_id || '-' || p.reference, 'pending',
       strftime('%Y-%m-%dT%H:%M:%fZ')
  FROM refund_tenders t JOIN payments p ON p.id = t.payment_id
 WHERE t.method = 'card';
