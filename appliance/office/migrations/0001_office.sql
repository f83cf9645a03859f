-- change: expand
-- The office's first schema: its people, stores, lanes, enrolment tokens and audit log.

CREATE TABLE roles (
    name        text PRIMARY KEY,
    description text NOT NULL
);
INSERT INTO roles (name, description) VALUES
    ('chain_admin', 'runs the chain: stores, lanes, people'),
    ('store_manager', 'runs one store: its lanes and reports'),
    ('auditor', 'reads the audit log and the reports, changes nothing');

CREATE TABLE stores (
    name       text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$'),
    created_at timestamptz NOT NULL
);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
    role          text NOT NULL REFERENCES roles (name),
    store         text NULL REFERENCES stores (name),
    password_hash text NOT NULL,
    must_change   boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL,
    -- a store manager manages one store; the chain's roles are not tied to one
    CHECK ((role = 'store_manager') = (store IS NOT NULL))
);

CREATE TABLE enrol_tokens (
    token_hash text PRIMARY KEY,
    store      text NOT NULL REFERENCES stores (name),
    till       text NOT NULL CHECK (till ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$'),
    issued_by  text NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz NULL,
    CHECK (expires_at > issued_at)
);

CREATE TABLE lanes (
    store            text NOT NULL REFERENCES stores (name),
    till             text NOT NULL,
    cert_fingerprint text NOT NULL UNIQUE,
    cert_serial      text NOT NULL,
    cert_not_after   timestamptz NOT NULL,
    enrolled_at      timestamptz NOT NULL,
    last_contact     timestamptz NULL,
    PRIMARY KEY (store, till)
);

-- Entries are chained like the till's (appliance.security.audit): `at` and `details` are
-- kept as the text that was hashed, so that checking the chain needs no re-formatting.
CREATE TABLE audit_log (
    id        bigint PRIMARY KEY CHECK (id > 0),
    at        text NOT NULL,
    actor     text NOT NULL,
    action    text NOT NULL,
    outcome   text NOT NULL,
    origin    text NOT NULL,
    object    text NOT NULL,
    details   text NOT NULL,
    prev_hash text NOT NULL,
    hash      text NOT NULL
);

-- Append-only: a change or removal is refused by the database itself, whoever asks.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
