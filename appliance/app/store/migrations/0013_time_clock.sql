-- change: expand
-- Staff time: one row per stretch of work or of break. An open stretch has no ended_at;
-- a person has at most one open work stretch and at most one open break.

CREATE TABLE time_entries (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL CHECK (kind IN ('work', 'break')),
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    origin     TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX time_entries_one_open ON time_entries(user_id, kind) WHERE ended_at IS NULL;
CREATE INDEX time_entries_started ON time_entries(started_at);
