-- change: expand
-- The lanes' outboxes (docs/office.md, "Up: the outbox"): each event stored once per
-- (store, till, seq), never changed; what does not fit (the same number with another
-- content, a gap, a broken link) is an alarm, kept beside it.

ALTER TABLE lanes
    ADD COLUMN acked_seq     bigint NOT NULL DEFAULT 0,   -- the highest seq held with none missing before it
    ADD COLUMN last_seq      bigint NOT NULL DEFAULT 0,   -- the highest seq held
    ADD COLUMN till_last_seq bigint NOT NULL DEFAULT 0,   -- the highest seq the till says it has written
    ADD COLUMN last_push     timestamptz NULL;

CREATE TABLE lane_events (
    store       text NOT NULL,
    till        text NOT NULL,
    seq         bigint NOT NULL CHECK (seq > 0),
    at          text NOT NULL,            -- the till's time, as hashed
    kind        text NOT NULL,
    body        jsonb NOT NULL,
    prev_hash   text NOT NULL,
    hash        text NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (store, till, seq),
    FOREIGN KEY (store, till) REFERENCES lanes (store, till)
);
CREATE INDEX lane_events_kind ON lane_events (kind, store, till);

CREATE FUNCTION lane_events_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a lane''s event is kept as it came (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER lane_events_no_update_or_delete BEFORE UPDATE OR DELETE ON lane_events
    FOR EACH ROW EXECUTE FUNCTION lane_events_are_kept();
CREATE TRIGGER lane_events_no_truncate BEFORE TRUNCATE ON lane_events
    FOR EACH STATEMENT EXECUTE FUNCTION lane_events_are_kept();

-- conflicting_resend: a seq already held came again with another content (offered_hash).
-- broken_chain: an event does not link to the one before it. bad_hash: an event's hash is not
-- its content's (refused, not stored). gap: events held after a missing one (resolved when
-- the missing ones come). till_behind: the lane says it has written fewer events than the
-- office holds of it (its store restored from an old backup, or another box under its name).
CREATE TABLE lane_alarms (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store        text NOT NULL,
    till         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('conflicting_resend', 'broken_chain', 'bad_hash', 'gap', 'till_behind')),
    seq          bigint NOT NULL,
    offered_hash text NOT NULL DEFAULT '',
    details      jsonb NOT NULL,
    raised_at    timestamptz NOT NULL,
    resolved_at  timestamptz NULL,
    FOREIGN KEY (store, till) REFERENCES lanes (store, till)
);
-- One open alarm per thing: a till that sends the same wrong batch again raises nothing new.
CREATE UNIQUE INDEX lane_alarms_open ON lane_alarms (store, till, kind, seq, offered_hash)
    WHERE resolved_at IS NULL;
