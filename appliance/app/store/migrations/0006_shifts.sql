-- change: expand
-- Shifts on a drawer: counted float, paid in/out, blind count at close, X and Z reports.

CREATE TABLE shifts (
    id             INTEGER PRIMARY KEY,
    terminal_id    TEXT NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    opened_at      TEXT NOT NULL,
    opening_float  INTEGER NOT NULL,
    opening_count  TEXT NOT NULL,          -- JSON {denomination: count}
    closed_at      TEXT,
    closing_count  TEXT,
    counted        INTEGER,
    expected       INTEGER,
    variance       INTEGER,
    approved_by    TEXT,
    z_report       TEXT                    -- JSON, frozen at close
);
-- One drawer, one operator at a time.
CREATE UNIQUE INDEX shifts_one_open ON shifts(terminal_id) WHERE closed_at IS NULL;

CREATE TABLE cash_movements (
    id        INTEGER PRIMARY KEY,
    shift_id  INTEGER NOT NULL REFERENCES shifts(id),
    kind      TEXT NOT NULL CHECK (kind IN ('paid_in', 'paid_out')),
    amount    INTEGER NOT NULL CHECK (amount > 0),
    reason    TEXT NOT NULL,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    at        TEXT NOT NULL
);
CREATE INDEX cash_movements_shift ON cash_movements(shift_id);

-- Every blind count made at a close, kept even when the close was refused.
CREATE TABLE shift_counts (
    id        INTEGER PRIMARY KEY,
    shift_id  INTEGER NOT NULL REFERENCES shifts(id),
    count     TEXT NOT NULL,
    counted   INTEGER NOT NULL,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    at        TEXT NOT NULL
);

-- Where a refund was given, so that its cash leaves the right drawer.
ALTER TABLE refunds ADD COLUMN terminal_id TEXT;
CREATE INDEX payments_created ON payments(created_at);
