-- change: expand
-- The chain's customer directory (docs/office.md, "Customers across lanes"): a customer made
-- at one lane is found at another. Erasable, unlike the lanes' events: the contact fields live
-- here only, sent by the lanes over a call of their own, never in the outbox.
--
-- chain_id: the customer's id across the chain, random (minted by the lane that made them,
-- so that a till cut off from the office can still make one and send it later).
-- An erased customer keeps its row, scrubbed: a late call from a lane that had not heard of
-- the erasure must not bring the person back.
CREATE TABLE customers (
    chain_id     text PRIMARY KEY CHECK (chain_id ~ '^[0-9a-f]{32}$'),
    name         text NULL,
    email        text NULL,
    phone        text NULL,
    loyalty_card text NULL,
    consent      boolean NOT NULL DEFAULT false,
    store        text NOT NULL,  -- the lane that sent it last
    till         text NOT NULL,
    updated_at   timestamptz NOT NULL,
    erased_at    timestamptz NULL,
    CHECK (erased_at IS NULL OR (name IS NULL AND email IS NULL AND phone IS NULL AND loyalty_card IS NULL))
);
CREATE INDEX customers_phone ON customers (phone) WHERE phone IS NOT NULL;
CREATE INDEX customers_email ON customers (email) WHERE email IS NOT NULL;
CREATE INDEX customers_card ON customers (loyalty_card) WHERE loyalty_card IS NOT NULL;

-- Which lane's customer id is which chain customer: a lane's points events name its own id.
CREATE TABLE customer_lanes (
    store       text NOT NULL,
    till        text NOT NULL,
    customer_id bigint NOT NULL,
    chain_id    text NOT NULL REFERENCES customers (chain_id),
    PRIMARY KEY (store, till, customer_id)
);
CREATE INDEX customer_lanes_chain ON customer_lanes (chain_id);

-- Points as one balance across the chain (docs/office.md, "Points as one balance"): the sum
-- of the lanes' points_moved entries per chain customer; below zero: overspent offline.
ALTER TABLE customers ADD COLUMN points bigint NOT NULL DEFAULT 0;

-- Each lane event that moved points, once (the event's own key). chain_id NULL: the lane's
-- customer is not linked yet (its PUT comes later); counted when it is.
CREATE TABLE points_entries (
    store       text NOT NULL,
    till        text NOT NULL,
    seq         bigint NOT NULL,
    customer_id bigint NOT NULL,
    chain_id    text NULL REFERENCES customers (chain_id),
    kind        text NOT NULL,
    points      bigint NOT NULL,
    offline     boolean NOT NULL DEFAULT false,
    hold_key    text NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (store, till, seq)
);
CREATE INDEX points_entries_unlinked ON points_entries (store, till, customer_id) WHERE chain_id IS NULL;
CREATE INDEX points_entries_chain ON points_entries (chain_id);

-- Points a lane reserved for a tender, until its event spends them, it releases them, or
-- they expire.
CREATE TABLE points_holds (
    store      text NOT NULL,
    till       text NOT NULL,
    key        text NOT NULL,
    chain_id   text NOT NULL REFERENCES customers (chain_id),
    points     bigint NOT NULL CHECK (points > 0),
    state      text NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'spent', 'released')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (store, till, key)
);
CREATE INDEX points_holds_live ON points_holds (chain_id) WHERE state = 'held';

-- The chain's rule: the points a till may spend of one customer while the office is silent.
CREATE TABLE points_rules (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    offline_cap bigint NOT NULL CHECK (offline_cap > 0),
    changed_at  timestamptz NULL,
    changed_by  text NULL
);
INSERT INTO points_rules (offline_cap) VALUES (500);

-- An erasure goes to every lane on the feed: the chain id only, nothing of the person.
ALTER TABLE catalogue DROP CONSTRAINT catalogue_kind_check;
ALTER TABLE catalogue ADD CONSTRAINT catalogue_kind_check
    CHECK (kind IN ('tax_class', 'category', 'product', 'price', 'staff', 'store_rules', 'item_grid', 'promotion',
                    'customer_erased'));
