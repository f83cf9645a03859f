-- change: expand
-- The customer display pairs with its till by a short code the till shows, instead of a
-- second login. One code at a time per till (a new one replaces the old); it is kept
-- hashed, dies at expires_at or at its first use, and after `failures` wrong tries.
CREATE TABLE display_pairing_codes (
    terminal_id TEXT PRIMARY KEY,
    code_hash   TEXT NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0
);

-- A paired display's credential: it may only follow its till's sale feed. Kept hashed,
-- like a session's token; it lasts until the till unpairs it (ended_at).
CREATE TABLE display_pairings (
    id          INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    paired_by   INTEGER NOT NULL REFERENCES users(id),
    paired_at   TEXT NOT NULL,
    ended_at    TEXT,
    ended_by    INTEGER REFERENCES users(id)
);
CREATE INDEX display_pairings_live ON display_pairings(terminal_id) WHERE ended_at IS NULL;
