-- change: expand
-- Which software each box runs (docs/office.md, "Updates"): the releases the office knows,
-- the rings (pilot, stores…) with the version each should run, each store's ring, a store's
-- pin that overrides its ring, and where the boxes fetch bundles from.
CREATE TABLE update_releases (
    version  text PRIMARY KEY CHECK (version ~ '^[0-9A-Za-z][0-9A-Za-z.+~_-]{0,63}$'),
    bundle   text NOT NULL CHECK (bundle ~ '^[0-9A-Za-z][0-9A-Za-z.+~_-]{0,199}$'),  -- a file name
    url      text NULL,                   -- where it is, when not the mirror's URL + bundle
    sha256   text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size     bigint NOT NULL CHECK (size > 0),
    added_at timestamptz NOT NULL,
    added_by text NOT NULL
);

CREATE TABLE update_rings (
    name    text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,39}$'),
    version text NULL REFERENCES update_releases (version)  -- NULL: the ring's boxes stay as they are
);

-- A store with no row is in the ring `stores`.
CREATE TABLE update_stores (
    store  text PRIMARY KEY REFERENCES stores (name),
    ring   text NULL REFERENCES update_rings (name),
    pinned text NULL REFERENCES update_releases (version)
);

-- One row: the update mirror's base URL, or NULL when the boxes take bundles from a USB stick.
CREATE TABLE update_source (
    id         int PRIMARY KEY CHECK (id = 1),
    mirror_url text NULL
);
INSERT INTO update_source (id, mirror_url) VALUES (1, NULL);
