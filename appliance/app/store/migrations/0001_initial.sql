-- change: expand
-- The spine: store settings, catalogue, staff, sessions, audit, sales, receipts.
-- Money columns are integers in minor units of settings.currency.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL            -- JSON
);

CREATE TABLE tax_classes (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE taxes (
    id         INTEGER PRIMARY KEY,
    tax_class  TEXT NOT NULL REFERENCES tax_classes(code),
    name       TEXT NOT NULL,
    rate       TEXT NOT NULL,       -- a decimal percentage, e.g. "9.975"
    position   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id            INTEGER PRIMARY KEY,
    sku           TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    price         INTEGER NOT NULL CHECK (price >= 0),
    tax_class     TEXT NOT NULL REFERENCES tax_classes(code),
    stock_on_hand INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX products_name ON products(name COLLATE NOCASE);

CREATE TABLE barcodes (
    code       TEXT PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(id)
);
CREATE INDEX barcodes_product ON barcodes(product_id);

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    role                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    failed_attempts      INTEGER NOT NULL DEFAULT 0,
    locked_until         TEXT,
    active               INTEGER NOT NULL DEFAULT 1,
    created_at           TEXT NOT NULL,
    password_changed_at  TEXT NOT NULL
);

CREATE TABLE password_history (
    user_id       INTEGER NOT NULL REFERENCES users(id),
    password_hash TEXT NOT NULL,
    changed_at    TEXT NOT NULL
);

-- Only a hash of each token is kept: a copy of the store cannot be replayed as a session.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    csrf_hash   TEXT NOT NULL,
    origin      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    ended_at    TEXT
);

-- A supervisor's one-time approval of one action on another user's session.
CREATE TABLE approvals (
    token_hash   TEXT PRIMARY KEY,
    approver_id  INTEGER NOT NULL REFERENCES users(id),
    session_hash TEXT NOT NULL,
    permission   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    origin    TEXT NOT NULL,
    object    TEXT NOT NULL,
    details   TEXT NOT NULL,      -- JSON
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

CREATE TABLE terminals (
    id             TEXT PRIMARY KEY,
    next_receipt   INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE sales (
    id            INTEGER PRIMARY KEY,
    terminal_id   TEXT NOT NULL REFERENCES terminals(id),
    status        TEXT NOT NULL CHECK (status IN ('open', 'completed', 'cancelled')),
    cashier_id    INTEGER NOT NULL REFERENCES users(id),
    currency      TEXT NOT NULL,
    prices_include_tax INTEGER NOT NULL,
    receipt_no    INTEGER,
    opened_at     TEXT NOT NULL,
    completed_at  TEXT,
    subtotal      INTEGER NOT NULL DEFAULT 0,
    tax           INTEGER NOT NULL DEFAULT 0,
    total         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (terminal_id, receipt_no)
);
CREATE INDEX sales_completed ON sales(completed_at) WHERE status = 'completed';

CREATE TABLE sale_lines (
    id          INTEGER PRIMARY KEY,
    sale_id     INTEGER NOT NULL REFERENCES sales(id),
    line_no     INTEGER NOT NULL,
    product_id  INTEGER NOT NULL REFERENCES products(id),
    sku         TEXT NOT NULL,
    name        TEXT NOT NULL,
    barcode     TEXT,
    unit_price  INTEGER NOT NULL,
    quantity    INTEGER NOT NULL,
    tax_class   TEXT NOT NULL,
    voided      INTEGER NOT NULL DEFAULT 0,
    voided_by   INTEGER REFERENCES users(id),
    refunded_qty INTEGER NOT NULL DEFAULT 0,
    UNIQUE (sale_id, line_no)
);
CREATE INDEX sale_lines_product ON sale_lines(product_id);

-- The taxes of a sale as they were computed when it was completed.
CREATE TABLE sale_taxes (
    sale_id  INTEGER NOT NULL REFERENCES sales(id),
    name     TEXT NOT NULL,
    rate     TEXT NOT NULL,
    base     INTEGER NOT NULL,
    amount   INTEGER NOT NULL
);
CREATE INDEX sale_taxes_sale ON sale_taxes(sale_id);

CREATE TABLE payments (
    id         INTEGER PRIMARY KEY,
    sale_id    INTEGER NOT NULL REFERENCES sales(id),
    method     TEXT NOT NULL,
    amount     INTEGER NOT NULL,     -- what was applied to the sale
    tendered   INTEGER NOT NULL,     -- what the customer handed over
    change     INTEGER NOT NULL DEFAULT 0,
    reference  TEXT,
    details    TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users(id)
);
CREATE INDEX payments_sale ON payments(sale_id);

CREATE TABLE refunds (
    id          INTEGER PRIMARY KEY,
    sale_id     INTEGER NOT NULL REFERENCES sales(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    reason      TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    tax         INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE refund_lines (
    refund_id  INTEGER NOT NULL REFERENCES refunds(id),
    line_id    INTEGER NOT NULL REFERENCES sale_lines(id),
    quantity   INTEGER NOT NULL,
    amount     INTEGER NOT NULL
);

CREATE TABLE refund_tenders (
    refund_id  INTEGER NOT NULL REFERENCES refunds(id),
    payment_id INTEGER NOT NULL REFERENCES payments(id),
    method     TEXT NOT NULL,
    amount     INTEGER NOT NULL
);

-- A retried POST with the same key gets the first answer back and changes nothing.
CREATE TABLE idempotency (
    key          TEXT NOT NULL,
    user_id      INTEGER NOT NULL,
    route        TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (key, user_id)
);

-- Every print is a row before a byte is sent; a worker sends and marks it done.
CREATE TABLE print_jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,          -- receipt, copy, report, test
    sale_id     INTEGER REFERENCES sales(id),
    payload     BLOB NOT NULL,          -- ESC/POS bytes
    status      TEXT NOT NULL CHECK (status IN ('pending', 'done', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    next_try_at TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    done_at     TEXT
);
CREATE INDEX print_jobs_pending ON print_jobs(next_try_at) WHERE status = 'pending';
