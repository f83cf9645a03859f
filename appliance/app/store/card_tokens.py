"""Card tokens (table card_tokens), what may be read of them without the vault's key.

The vault (`security/vault.py`) writes and reads this table with its own SQL (listed debt in
tests/architecture/test_arrows.py); what a card payment's answer shows of its card is read
here.
"""

from __future__ import annotations

from appliance.app.store.db import Connection


def last_four(conn: Connection, token: str) -> str:
    """The last four digits of the card behind a token."""
    row = conn.execute("SELECT last_four FROM card_tokens WHERE token = ?", (token,))
    return str(row.fetchone()[0])
