/* Days on the store's calendar: the reports' days and the promotions' first and last days are
 * the store's, whatever clock this browser keeps. Pure: node --test runs these.
 *
 * Days are put together from Intl's parts in en-US (a locale every engine has), not read from
 * a locale's short date: en-CA's has been YYYY-MM-DD in some ICU versions and M/D/YYYY in
 * others, and Debian's Node 18 writes it 1/2/2026. */

const pad = (n) => String(n).padStart(2, "0");

/** A Date as YYYY-MM-DD on this browser's clock. */
export const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** Today as YYYY-MM-DD in time zone `tz` when there is one, else on this browser's clock.
 * A zone this browser does not know throws a RangeError. */
export function storeToday(tz, now = new Date()) {
  if (!tz) return isoDay(now);
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(now);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** Minutes east of UTC in time zone `tz` at the instant `ms`. */
export function zoneOffset(ms, tz) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60000);
}

/** The instant a YYYY-MM-DD day (plus `addDays`) starts, as UTC ISO time: in time zone `tz`
 * when there is one, else in this browser's. */
export function dayStart(day, addDays = 0, tz = null) {
  const [y, m, d] = day.split("-").map(Number);
  if (tz) {
    const guess = Date.UTC(y, m - 1, d + addDays);
    let at = guess - zoneOffset(guess, tz) * 60000;
    at = guess - zoneOffset(at, tz) * 60000;
    return new Date(at).toISOString();
  }
  return new Date(y, m - 1, d + addDays).toISOString();
}

/** `tz` if this browser knows the zone, else null (it falls back to its own clock). */
export function knownZone(tz) {
  if (!tz) return null;
  try {
    zoneOffset(Date.now(), tz);
    return tz;
  } catch (e) {
    return null;
  }
}
