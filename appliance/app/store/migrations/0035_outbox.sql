-- change: expand
-- The outbox to the office (docs/office.md, "Up: the outbox"): every business event,
-- written in the transaction that makes it, numbered per till with no gap (seq is given as
-- the last one + 1 inside that transaction, so a rollback leaves no hole; a sequence would)
-- and linked to the one before (prev_hash, hash: domain/outbox.py). Written whether or not
-- the till is enrolled: a till enrolled later sends its history from event 1.
CREATE TABLE outbox (
    seq       INTEGER PRIMARY KEY CHECK (seq > 0),
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    body      TEXT NOT NULL,   -- canonical JSON, as hashed
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- Append-only: the office holds the till to this chain; a changed event would be an alarm there.
CREATE TRIGGER outbox_no_update BEFORE UPDATE ON outbox
BEGIN
    SELECT RAISE(ABORT, 'the outbox is append-only');
END;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN
    SELECT RAISE(ABORT, 'the outbox is append-only');
END;

-- What the office last said: the highest seq it holds with none missing before it (its
-- acknowledgement), and when the till last reached it or failed to.
CREATE TABLE outbox_link (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    acked_seq    INTEGER NOT NULL DEFAULT 0,
    last_contact TEXT,
    last_error   TEXT,
    last_try     TEXT
);
INSERT INTO outbox_link (id) VALUES (1);
