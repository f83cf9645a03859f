-- change: expand
-- The back office (docs/office.md, "The back office"): people sign in with a password, are
-- locked out for a while after failed tries, can be disabled (never deleted: the audit log
-- names them), and hold sessions kept here by the hash of their cookie only.

ALTER TABLE users
    ADD COLUMN failed_logins integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    ADD COLUMN locked_until  timestamptz NULL,
    ADD COLUMN disabled_at   timestamptz NULL;

CREATE TABLE office_sessions (
    token_hash text PRIMARY KEY,              -- SHA-256 of the cookie: a copy of the table opens nothing
    username   text NOT NULL REFERENCES users (username),
    origin     text NOT NULL,
    created_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    ended_at   timestamptz NULL
);
CREATE INDEX office_sessions_user ON office_sessions (username) WHERE ended_at IS NULL;

-- An alarm closed by a person says who closed it and why (an alarm the office closes
-- itself, a gap filled, has neither).
ALTER TABLE lane_alarms
    ADD COLUMN resolved_by text NULL,
    ADD COLUMN resolution  text NULL;
