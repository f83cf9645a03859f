-- change: expand
-- Staff the way shops work: a cashier logs in with a PIN of 4 to 8 digits or a badge, and a
-- supervisor approves at the till with either (PCI DSS v4.0 keeps POS cashier IDs that see
-- at most one card number at a time out of the 8.3 password rules; supervisors and above
-- keep passwords to log in).
-- pin_hash is Argon2id, like a password; must_change_pin marks one someone else set.
-- badge_hash is SHA-256 over a fixed prefix and the code, for lookup: one badge, one user.
-- sessions.opened_by says how a session was opened ('password', 'pin' or 'badge'), so that
-- a one-time PIN forces a PIN change, and a one-time password a password change, only in
-- a session that the one-time secret opened.

ALTER TABLE users ADD COLUMN pin_hash TEXT;
ALTER TABLE users ADD COLUMN must_change_pin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN badge_hash TEXT;
CREATE UNIQUE INDEX users_badge ON users(badge_hash) WHERE badge_hash IS NOT NULL;
ALTER TABLE sessions ADD COLUMN opened_by TEXT NOT NULL DEFAULT 'password';
