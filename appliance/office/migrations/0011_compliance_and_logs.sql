-- change: expand
-- Compliance and logs pushed by the lanes (docs/office.md, "Compliance and logs").

-- Each signed compliance report a lane sent, as it sent it: the text that was signed, its
-- signature (checked against the lane's certificate on arrival) and that certificate, so the
-- signature can be checked again later. The fleet report reads each lane's newest.
CREATE TABLE lane_compliance_reports (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store            text NOT NULL,
    till             text NOT NULL,
    received_at      timestamptz NOT NULL,
    scanned_at       text NOT NULL,          -- the scan's start, as the report says
    version          text NOT NULL,          -- the box's Comptoir (the scanner is its CLI)
    report_text      text NOT NULL,          -- the bytes signed, in UTF-8
    signature        text NOT NULL,          -- ECDSA P-256 / SHA-256, DER in base64
    cert_der         bytea NOT NULL,
    FOREIGN KEY (store, till) REFERENCES lanes (store, till)
);
CREATE INDEX lane_compliance_reports_newest ON lane_compliance_reports (store, till, received_at DESC, id DESC);

-- The security entries of the lanes' journals (their `journal_entries` events), one row each.
CREATE TABLE lane_security_log (
    store     text NOT NULL,
    till      text NOT NULL,
    seq       bigint NOT NULL,               -- the event that brought it
    n         int NOT NULL,                  -- its place in that event
    at        text NULL,                     -- the box's time of the entry
    category  text NOT NULL,
    priority  int NULL,
    program   text NOT NULL,
    unit      text NOT NULL,
    message   text NOT NULL,
    PRIMARY KEY (store, till, seq, n),
    FOREIGN KEY (store, till) REFERENCES lanes (store, till)
);
CREATE INDEX lane_security_log_category ON lane_security_log (category, store, till);

-- Each lane's audit chain head as last sent (its `audit_head` event with the highest seq).
CREATE TABLE lane_audit_heads (
    store     text NOT NULL,
    till      text NOT NULL,
    seq       bigint NOT NULL,
    entry_id  bigint NOT NULL,
    link      text NOT NULL,
    at        text NOT NULL,
    PRIMARY KEY (store, till),
    FOREIGN KEY (store, till) REFERENCES lanes (store, till)
);
