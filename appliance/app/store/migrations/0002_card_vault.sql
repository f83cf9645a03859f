-- change: expand
-- The card token vault (appliance/security/vault.py). No PAN is ever stored in the clear:
-- card_tokens.ciphertext is AES-256-GCM under a data key, and each data key is kept only
-- wrapped by the vault's key-encryption key, which lives outside this file (vault.key or
-- a systemd credential), apart from the store's own key (PCI DSS v4.0 3.6.1.2).

-- Data keys and the fingerprint key, each wrapped (AES-256-GCM) by the KEK named by kek_id.
-- kek_id is a keyed digest of the KEK, never the KEK: it says which KEK opens the row.
CREATE TABLE vault_keys (
    id         INTEGER PRIMARY KEY,
    purpose    TEXT NOT NULL CHECK (purpose IN ('data', 'fingerprint')),
    wrapped    BLOB NOT NULL,          -- nonce (12) || ciphertext+tag of the 32-byte key
    kek_id     TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,  -- the data key new tokens are written under
    created_at TEXT NOT NULL,
    wrapped_at TEXT NOT NULL
);
CREATE UNIQUE INDEX vault_keys_one_active ON vault_keys(purpose) WHERE active = 1;

-- One row per card. Beside the token only what PCI DSS lets a merchant keep and show:
-- brand, last four, expiry. The fingerprint (HMAC-SHA256 under the fingerprint key) finds
-- the same card again without decrypting anything (3.5.1.1).
CREATE TABLE card_tokens (
    token        TEXT PRIMARY KEY,
    data_key_id  INTEGER NOT NULL REFERENCES vault_keys(id),
    nonce        BLOB NOT NULL,
    ciphertext   BLOB NOT NULL,        -- the PAN's digits, AES-256-GCM, AAD = token
    fingerprint  BLOB NOT NULL UNIQUE,
    brand        TEXT NOT NULL,
    last_four    TEXT NOT NULL CHECK (length(last_four) = 4),
    exp_month    INTEGER NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
    exp_year     INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
);
