-- change: expand
-- Card payments that cannot be lost or taken twice (appliance/app/services/card_payments.py).
-- An attempt is written, with the key the gateway will see, and committed BEFORE the
-- gateway is called; whatever happens next, the attempt says what to look up.

CREATE TABLE payment_attempts (
    id              INTEGER PRIMARY KEY,
    sale_id         INTEGER NOT NULL REFERENCES sales(id),
    user_id         INTEGER NOT NULL REFERENCES users(id),
    idempotency_key TEXT NOT NULL UNIQUE,   -- what the gateway sees
    client_key      TEXT,                   -- the API's Idempotency-Key, if any
    token           TEXT NOT NULL REFERENCES card_tokens(token),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN
                        ('pending', 'approved', 'declined', 'failed', 'voided')),
    gateway_ref     TEXT,
    approved_amount INTEGER,
    auth_code       TEXT,
    decline_code    TEXT,
    payment_id      INTEGER REFERENCES payments(id),
    created_at      TEXT NOT NULL,
    resolved_at     TEXT
);
CREATE INDEX payment_attempts_pending ON payment_attempts(created_at) WHERE status = 'pending';
CREATE INDEX payment_attempts_sale ON payment_attempts(sale_id);

-- A card refund tender (refund_tenders.method = 'card') sent back through the gateway to
-- the original authorisation; pending until the gateway confirms, retried with one key.
CREATE TABLE card_refunds (
    refund_id       INTEGER NOT NULL REFERENCES refunds(id),
    payment_id      INTEGER NOT NULL REFERENCES payments(id),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    idempotency_key TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'refunded', 'failed')),
    gateway_ref     TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    resolved_at     TEXT,
    PRIMARY KEY (refund_id, payment_id)
);
