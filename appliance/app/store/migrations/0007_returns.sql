-- change: expand
-- Returns without a receipt, and refunds paid as store credit on a gift card.

CREATE TABLE receiptless_returns (
    id           INTEGER PRIMARY KEY,
    terminal_id  TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    approved_by  TEXT,
    reason       TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    tax          INTEGER NOT NULL,
    refund_to    TEXT NOT NULL CHECK (refund_to IN ('cash', 'gift_card')),
    gift_card_id INTEGER REFERENCES gift_cards(id),
    created_at   TEXT NOT NULL
);

CREATE TABLE receiptless_return_lines (
    return_id   INTEGER NOT NULL REFERENCES receiptless_returns(id),
    product_id  INTEGER NOT NULL REFERENCES products(id),
    quantity    INTEGER NOT NULL,
    unit_price  INTEGER NOT NULL,
    amount      INTEGER NOT NULL
);

-- A receipted refund may go to a gift card instead of the original tenders.
CREATE TABLE store_credits (
    refund_id    INTEGER NOT NULL REFERENCES refunds(id),
    gift_card_id INTEGER NOT NULL REFERENCES gift_cards(id),
    amount       INTEGER NOT NULL
);
