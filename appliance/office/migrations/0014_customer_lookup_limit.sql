-- change: expand
-- A lane's customer lookups that found nobody (docs/office.md, "A lane's lookups are
-- limited"): counted per lane over the last minute and the last day, so that a stolen lane
-- certificate cannot try the chain's phone numbers one after another. In the database, not
-- in a worker's memory: the limit holds across the office's workers and its restarts. Never
-- the value asked: only when, and by which lane.
CREATE TABLE customer_lookup_misses (
    store text NOT NULL,
    till  text NOT NULL,
    at    timestamptz NOT NULL
);
CREATE INDEX customer_lookup_misses_lane ON customer_lookup_misses (store, till, at);

-- One row per lane that looked a customer up: the row each lookup locks (one lane's lookups
-- are counted one at a time across workers), since when the lane is being refused (one audit
-- entry per refusal that follows an answer), and the day its alarm was last raised (one a day).
CREATE TABLE customer_lookup_lanes (
    store         text NOT NULL,
    till          text NOT NULL,
    refused_since timestamptz NULL,
    alarmed_on    date NULL,
    PRIMARY KEY (store, till)
);
