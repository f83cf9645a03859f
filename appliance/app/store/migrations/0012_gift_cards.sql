-- change: expand
-- Gift cards. A card is sold (or topped up) as an untaxed sale line and becomes active
-- only when that sale completes; until then it is a pending row tied to the line.
-- The code is random with a check character (appliance/app/domain/gift_card.py).

CREATE TABLE gift_cards (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'void')),
    balance     INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    currency    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    activated_at TEXT,
    expires_at  TEXT                      -- NULL: never expires
);
CREATE INDEX gift_cards_active ON gift_cards(status, expires_at);

-- Sold or topped up on an open sale; applied by the sale's completion.
CREATE TABLE gift_card_pending (
    id       INTEGER PRIMARY KEY,
    sale_id  INTEGER NOT NULL REFERENCES sales(id),
    line_no  INTEGER NOT NULL,
    card_id  INTEGER NOT NULL REFERENCES gift_cards(id),
    kind     TEXT NOT NULL CHECK (kind IN ('issue', 'top_up')),
    amount   INTEGER NOT NULL CHECK (amount > 0),
    applied  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX gift_card_pending_sale ON gift_card_pending(sale_id);

CREATE TABLE gift_card_entries (
    id          INTEGER PRIMARY KEY,
    card_id     INTEGER NOT NULL REFERENCES gift_cards(id),
    kind        TEXT NOT NULL CHECK (kind IN ('issue', 'top_up', 'redeem', 'void')),
    amount      INTEGER NOT NULL,         -- + onto the card, - off it
    balance     INTEGER NOT NULL,         -- after
    sale_id     INTEGER REFERENCES sales(id),
    user_id     INTEGER REFERENCES users(id),
    at          TEXT NOT NULL
);
CREATE INDEX gift_card_entries_card ON gift_card_entries(card_id, id);
