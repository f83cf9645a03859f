-- change: expand
-- A manager's decision on a terminal transaction the till could not put right on its own
-- (services/terminal_checks.py): a charge held with no sale, a refund the terminal refused,
-- an outcome the terminal cannot tell. One row per decision, never changed.
CREATE TABLE terminal_decisions (
    id             INTEGER PRIMARY KEY,
    transaction_id INTEGER NOT NULL REFERENCES terminal_transactions(id),
    decision       TEXT NOT NULL CHECK (decision IN ('refund', 'attach', 'keep', 'approved', 'not_approved')),
    sale_id        INTEGER REFERENCES sales(id),      -- attach: the sale the charge went to
    note           TEXT NOT NULL DEFAULT '',
    user_id        INTEGER NOT NULL REFERENCES users(id),
    decided_at     TEXT NOT NULL,
    -- 1: nothing is left for the terminal or a manager to do on it (kept, or a refused refund
    -- sent again under a new reference); 0: the till carries it on, and it may come back.
    closes         INTEGER NOT NULL CHECK (closes IN (0, 1)),
    replaced_by    INTEGER REFERENCES terminal_transactions(id)  -- the new refund or reversal it sent
);
CREATE INDEX terminal_decisions_transaction ON terminal_decisions(transaction_id);
