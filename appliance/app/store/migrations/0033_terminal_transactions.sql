-- change: expand
-- Card-present payments and refunds through the payment terminal
-- (appliance/app/services/terminal_payments.py). A row is written with OUR reference (the
-- sale's payment key, or the refund's), and committed BEFORE the request leaves for the
-- terminal; each send is stamped before it leaves (sends, last_sent_at), so that whatever
-- dies the till knows what to ask the terminal about with status(reference).
-- Nothing of the card but what the terminal hands back for a shop: brand, the last four it
-- prints, its own transaction reference, its token for returns, and its receipt lines.

CREATE TABLE terminal_transactions (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('payment', 'refund', 'reversal')),
    sale_id            INTEGER NOT NULL REFERENCES sales(id),
    user_id            INTEGER REFERENCES users(id),
    reference          TEXT NOT NULL UNIQUE,   -- ours: what the terminal sees
    client_key         TEXT,                   -- the API's Idempotency-Key, if any
    amount             INTEGER NOT NULL CHECK (amount > 0),
    currency           TEXT NOT NULL,
    -- pending: sent or about to be, outcome unknown. approved: a payment on its sale, or a
    -- refund given back. declined / cancelled / failed: nothing moved. unattached: charged,
    -- but its sale could no longer take it: a reversal gives it back (or a manager does).
    -- reversed: an unattached charge its reversal gave back.
    -- flagged: money the terminal moved that the till could not put right: a manager acts.
    status             TEXT NOT NULL CHECK (status IN
                           ('pending', 'approved', 'declined', 'cancelled', 'failed', 'unattached', 'reversed', 'flagged')),
    sends              INTEGER NOT NULL DEFAULT 0 CHECK (sends >= 0),
    last_sent_at       TEXT,
    payment_id         INTEGER REFERENCES payments(id),  -- the payment it became, or the one it refunds
    refund_id          INTEGER REFERENCES refunds(id),   -- a refund's
    original_id        INTEGER REFERENCES terminal_transactions(id),  -- what a refund or reversal gives back
    approved_amount    INTEGER,
    terminal_reference TEXT,
    brand              TEXT,
    last_four          TEXT,
    card_token         TEXT,
    auth_code          TEXT,
    decline_reason     TEXT,
    customer_receipt   TEXT NOT NULL DEFAULT '[]',  -- JSON list of the terminal's lines
    merchant_receipt   TEXT NOT NULL DEFAULT '[]',
    created_at         TEXT NOT NULL,
    resolved_at        TEXT
);
CREATE INDEX terminal_transactions_open ON terminal_transactions(status) WHERE status IN ('pending', 'unattached');
CREATE INDEX terminal_transactions_sale ON terminal_transactions(sale_id);
CREATE INDEX terminal_transactions_payment ON terminal_transactions(payment_id);
