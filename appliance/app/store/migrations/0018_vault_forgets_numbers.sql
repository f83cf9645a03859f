-- change: contract (card_tokens rebuilt: a number's columns may be NULL, settled numbers erased)
-- The vault keeps a card number only while a payment needs it (appliance/security/vault.py,
-- `TokenVault.forget_settled`): once the acquirer has answered an attempt definitively, the
-- number is erased and the token row keeps only what a receipt may show (brand, last four,
-- expiry). The number's columns become nullable, and `forgotten_at` says when it went.
-- The fingerprint goes with the number: a keyed digest of a PAN whose last four and brand
-- are known gives the number back to whoever holds the fingerprint key.
--
-- Stores made before this change held the number of every card ever typed: this rebuild
-- copies a number only for a token some attempt still needs (one the acquirer has not yet
-- settled: any status but approved, declined, voided and failed).
-- payment_attempts refers to card_tokens, and the migration runs with foreign keys on, in
-- one transaction: they are deferred to the commit, and the table is dropped and made anew
-- under its own name, so that every attempt finds its token again by the end.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE card_tokens_0018_copy AS
SELECT token, data_key_id, nonce, ciphertext, fingerprint, brand, last_four, exp_month, exp_year,
       created_at, last_used_at,
       EXISTS (SELECT 1 FROM payment_attempts a WHERE a.token = card_tokens.token
                  AND a.status NOT IN ('approved', 'declined', 'voided', 'failed')) AS needed
  FROM card_tokens;

DROP TABLE card_tokens;

CREATE TABLE card_tokens (
    token        TEXT PRIMARY KEY,
    data_key_id  INTEGER REFERENCES vault_keys(id),
    nonce        BLOB,
    ciphertext   BLOB,                 -- the PAN's digits, AES-256-GCM, AAD = token; NULL once forgotten
    fingerprint  BLOB UNIQUE,          -- NULL once forgotten
    brand        TEXT NOT NULL,
    last_four    TEXT NOT NULL CHECK (length(last_four) = 4),
    exp_month    INTEGER NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
    exp_year     INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    forgotten_at TEXT,
    CHECK ((ciphertext IS NULL) = (forgotten_at IS NOT NULL)),
    CHECK (ciphertext IS NULL OR (nonce IS NOT NULL AND data_key_id IS NOT NULL AND fingerprint IS NOT NULL))
);

INSERT INTO card_tokens (token, data_key_id, nonce, ciphertext, fingerprint, brand, last_four,
                         exp_month, exp_year, created_at, last_used_at, forgotten_at)
SELECT token,
       CASE WHEN needed THEN data_key_id END,
       CASE WHEN needed THEN nonce END,
       CASE WHEN needed THEN ciphertext END,
       CASE WHEN needed THEN fingerprint END,
       brand, last_four, exp_month, exp_year, created_at, last_used_at,
       CASE WHEN needed THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ') END
  FROM card_tokens_0018_copy;

DROP TABLE card_tokens_0018_copy;

-- The sweep looks for numbers still held; a busy store's tokens are nearly all forgotten.
CREATE INDEX card_tokens_held ON card_tokens(token) WHERE ciphertext IS NOT NULL;
CREATE INDEX IF NOT EXISTS payment_attempts_token ON payment_attempts(token);
