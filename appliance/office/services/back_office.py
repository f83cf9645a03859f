"""What the back office's pages read, and the alarms people close, each within what the
person's role lets them see: a store manager their store, the chain's roles every store."""

from __future__ import annotations

from typing import Any

from appliance.app.domain.errors import Forbidden, Invalid, NotFound
from appliance.office.services import audit_log
from appliance.office.services.office import Office
from appliance.office.services.sign_in import Person
from appliance.office.store import alarms as alarms_store
from appliance.office.store import catalogue as catalogue_store
from appliance.office.store import lanes as lanes_store
from appliance.office.store import stores

MAX_REASON = 500


def stores_and_lanes(office: Office, who: Person) -> list[dict[str, Any]]:
    """Each store the person sees, with its lanes (largest backlog first); the stores whose
    lanes have the largest backlog come first, then those with open alarms."""
    with office.connection() as conn:
        names = stores.all_stores(conn)
        lanes = lanes_store.all_lanes(conn)
    shown = [n for n in names if who.scope in (None, n)]
    found: list[dict[str, Any]] = []
    for name in shown:
        own = [lane for lane in lanes if lane["store"] == name]
        found.append(
            {
                "store": name,
                "lanes": own,
                "backlog": sum(int(str(lane["backlog"])) for lane in own),
                "open_alarms": sum(int(str(lane["open_alarms"])) for lane in own),
            }
        )
    found.sort(key=lambda s: (-s["backlog"], -s["open_alarms"], s["store"]))
    return found


def alarms(office: Office, who: Person, *, open_only: bool = True) -> list[dict[str, Any]]:
    with office.connection() as conn:
        return alarms_store.listing(conn, open_only=open_only, store=who.scope)


def close_alarm(office: Office, who: Person, alarm_id: int, reason: str, origin: str) -> dict[str, Any]:
    """A chain admin closes an alarm once they have seen to it, saying how (audited)."""
    if not who.changes_the_chain:
        raise Forbidden("only a chain admin closes an alarm", "forbidden")
    reason = " ".join(reason.split())
    if not 3 <= len(reason) <= MAX_REASON:
        raise Invalid(f"say why the alarm is closed (3 to {MAX_REASON} characters)", "reason_needed")
    with office.connection() as conn:
        with conn.transaction():
            closed = alarms_store.close(conn, alarm_id, who.username, reason, office.now())
            if closed is None:
                raise NotFound(f"no open alarm #{alarm_id}", "alarm_not_found")
            audit_log.record(
                office, conn, actor=who.actor, action="lane_alarm_closed",
                object=f"lane:{closed['store']}/{closed['till']}#{closed['seq']}",
                details={"alarm": alarm_id, "kind": closed["kind"], "reason": reason}, origin=origin,
            )  # fmt: skip
        audit_log.anchor(office, conn)
    return closed


def products(office: Office, text: str = "", limit: int = 200) -> list[dict[str, Any]]:
    with office.connection() as conn:
        return catalogue_store.products(conn, text.strip()[:64], limit)
