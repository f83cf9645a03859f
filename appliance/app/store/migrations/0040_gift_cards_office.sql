-- change: expand
-- Gift cards shared through the office (docs/office.md, "Shared balances").
-- office_held: a card sold at another lane, found through the office; the office holds its
-- ledger, and this row is this till's copy (its balance as the office last said, less what
-- was spent here since). It is no part of this store's liability.
ALTER TABLE gift_cards ADD COLUMN office_held INTEGER NOT NULL DEFAULT 0;
-- What this till spent of the card while the office did not answer, since it last did:
-- the chain's offline cap bounds it.
ALTER TABLE gift_cards ADD COLUMN offline_spent INTEGER NOT NULL DEFAULT 0;
