/* The till: its link to the office in the header, beside the printer's (GET /office/status).
 * Shown only on a till enrolled at an office: a shop of one till has nothing to say here.
 * Selling never waits for the office; this says what the office does not know yet. */

import C, { $, api, t } from "../comptoir.js";

// In touch, events left waiting this long are worth saying (a batch in flight is not).
const WAITING_SAYS_AFTER_S = 60;

/** An age in the cashier's words: 45 s, 12 min, 2 h, 3 d (the unit left whole, rounded down). */
export function age(seconds, tr = t) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return tr("till.office_age_seconds", { count: s });
  if (s < 3600) return tr("till.office_age_minutes", { count: Math.floor(s / 60) });
  if (s < 48 * 3600) return tr("till.office_age_hours", { count: Math.floor(s / 3600) });
  return tr("till.office_age_days", { count: Math.floor(s / 86400) });
}

/** The header's words and mood for GET /office/status; null on a till not enrolled. */
export function officeLine(link, tr = t) {
  if (!link || !link.enrolled) return null;
  const parts = [];
  let mood = "ok";
  if (link.in_touch) {
    parts.push(tr("till.office_in_touch"));
  } else if (link.last_contact) {
    parts.push(tr("till.office_out_of_touch", { age: age(link.out_of_touch_seconds || 0, tr) }));
    mood = "bad";
  } else {
    parts.push(tr("till.office_never_reached"));
    mood = "bad";
  }
  const oldest = link.oldest_unsent_age_seconds;
  if (link.backlog > 0 && oldest !== null && (!link.in_touch || oldest >= WAITING_SAYS_AFTER_S)) {
    const when = age(oldest, tr);
    parts.push(link.backlog === 1 ? tr("till.office_one_waiting", { age: when }) : tr("till.office_waiting", { count: link.backlog, age: when }));
    if (mood === "ok") mood = "warn";
  }
  return { mood, text: tr("till.office_status", { status: parts.join(", ") }) };
}

function show(node, mood, text) {
  node.dataset.state = mood; // as devices.js setStatus (which imports this module)
  $("office-text").textContent = text;
}

/** Asked with the printer's status (devices.js startStatus), every 10 s while logged in. */
export async function checkOffice() {
  const node = $("office-status");
  if (!node) return;
  try {
    const line = officeLine(await api("GET", "/office/status"));
    C.show(node, !!line);
    if (!line) return;
    show(node, line.mood, line.text);
  } catch (err) {
    if (err.status === 404 || err.status === 405) {
      C.show(node, false); // a build without the route
    } else if (err.status !== 401 && !node.hidden) {
      show(node, "bad", t("till.office_unknown"));
    }
  }
}
