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

-- An erasure goes to every lane on the feed: the chain id only, nothing of the person.
ALTER TABLE catalogue DROP CONSTRAINT catalogue_kind_check;
ALTER TABLE catalogue ADD CONSTRAINT catalogue_kind_check
    CHECK (kind IN ('tax_class', 'category', 'product', 'price', 'staff', 'store_rules', 'item_grid', 'promotion',
                    'customer_erased'));
