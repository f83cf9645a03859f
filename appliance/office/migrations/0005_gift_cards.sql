-- change: expand
-- Gift cards as the chain's ledger of record (docs/office.md, "Shared balances"). A card is
-- found by its reference (SHA-256 of its code): the office never holds a code in clear.

-- The chain's rule: what a till may spend of one card while the office does not answer.
-- One row; never 0 (off): a till that cannot reach the office must still be able to say no.
CREATE TABLE gift_card_rules (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    offline_cap bigint NOT NULL CHECK (offline_cap > 0),
    changed_at  timestamptz NULL,
    changed_by  text NULL
);
INSERT INTO gift_card_rules (offline_cap) VALUES (5000);

CREATE TABLE gift_cards (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ref       text NOT NULL UNIQUE CHECK (ref ~ '^[0-9a-f]{64}$'),
    currency  text NOT NULL,
    balance   bigint NOT NULL DEFAULT 0,  -- the sum of its entries; below zero: overspent
    -- Where it was sold; NULL until its issue event comes (a spend may come before it).
    store     text NULL,
    till      text NULL,
    issued_at timestamptz NULL,
    expires_at timestamptz NULL  -- as the selling lane set it; NULL: never
);

-- Each lane event that moved a card, once (the event's own key).
CREATE TABLE gift_card_entries (
    store    text NOT NULL,
    till     text NOT NULL,
    seq      bigint NOT NULL,
    card_id  bigint NOT NULL REFERENCES gift_cards (id),
    kind     text NOT NULL,
    amount   bigint NOT NULL,
    offline  boolean NOT NULL DEFAULT false,  -- spent while the office did not answer
    hold_key text NULL,
    at       text NOT NULL,  -- the till's time
    PRIMARY KEY (store, till, seq)
);
CREATE INDEX gift_card_entries_card ON gift_card_entries (card_id);

-- What a lane reserved on a card for a sale before tendering it.
CREATE TABLE gift_card_holds (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    card_id    bigint NOT NULL REFERENCES gift_cards (id),
    store      text NOT NULL,
    till       text NOT NULL,
    key        text NOT NULL,  -- the lane's idempotency key: the same key is the same hold
    amount     bigint NOT NULL CHECK (amount > 0),
    state      text NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'spent', 'released')),
    made_at    timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    UNIQUE (store, till, key),
    FOREIGN KEY (store, till) REFERENCES lanes (store, till)
);
CREATE INDEX gift_card_holds_live ON gift_card_holds (card_id) WHERE state = 'held';
