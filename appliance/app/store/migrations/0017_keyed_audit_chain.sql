-- change: expand
-- The audit log's links become keyed: from here on each entry's `hash` is an HMAC-SHA256
-- under the audit key (kept by the key provider, never in the store) of the previous link
-- and the entry (appliance.security.audit), and its number comes from the AUTOINCREMENT
-- sequence, so a removed entry's number is never given again.
--
-- Entries already written keep the plain SHA-256 links they were made with; keyed_from is
-- the first number with a keyed link (1 for a new store). We record this switch point rather
-- than re-anchoring (keying the old links afresh), because re-anchoring would certify
-- whatever the old entries say now, edits the plain chain could not reveal included. The
-- switch point cannot be moved unseen either:
-- - the first keyed entry's link covers the last plain link, so rewriting an old entry and
--   recomputing the plain chain after it breaks at entry keyed_from;
-- - raising keyed_from (to pass rewritten keyed entries off as plain ones) leaves the keyed
--   entry at the new point following a link it was not made with, or the anchor outside the
--   store (always a keyed entry, see audit_log.open_chain) before the switch point;
-- - lowering it makes old plain links fail as keyed ones.
-- The first start after this migration writes an entry of its own at keyed_from (the
-- switch, audited), so a store with old entries gets a keyed head and anchor at once.
CREATE TABLE audit_chain (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    keyed_from  INTEGER NOT NULL CHECK (keyed_from >= 1)
);
INSERT INTO audit_chain (id, keyed_from)
SELECT 1, max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0),
              coalesce((SELECT max(id) FROM audit_log), 0)) + 1;
