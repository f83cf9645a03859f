-- change: expand
-- Configuration pulled by the boxes (docs/office.md, "Configuration pulled").

-- Each store's inventory variables (till '' ) and a till's own (they win over its store's),
-- as set with `comptoir office config set`: a YAML mapping kept as JSON.
CREATE TABLE config_vars (
    store    text NOT NULL REFERENCES stores (name),
    till     text NOT NULL DEFAULT '',
    vars     jsonb NOT NULL,
    set_at   timestamptz NOT NULL,
    set_by   text NOT NULL,
    PRIMARY KEY (store, till)
);

-- Each run of the pulled bundle a lane reported (its `config_applied` and `config_failed`
-- events), one row each; the fleet report reads each lane's last two.
CREATE TABLE lane_config_runs (
    store           text NOT NULL,
    till            text NOT NULL,
    seq             bigint NOT NULL,           -- the event that brought it
    outcome         text NOT NULL,             -- applied, failed, refused, unreachable
    bundle_version  text NOT NULL,             -- '' when no bundle was taken
    ok              int NOT NULL,
    changed         int NOT NULL,
    failed          int NOT NULL,
    changed_tasks   jsonb NOT NULL,
    started         text NOT NULL,
    ended           text NOT NULL,
    message         text NOT NULL,
    PRIMARY KEY (store, till, seq),
    FOREIGN KEY (store, till) REFERENCES lanes (store, till)
);
