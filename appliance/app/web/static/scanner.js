// Keyboard-wedge scanners type a barcode as keystrokes: a burst of characters far faster
// than any person types, ended by Enter. Telling the two apart by timing lets the cashier
// screen send a scan to the sale whatever field has the focus, and let a person's typing
// through untouched. Pure functions, no DOM: unit-tested with `node --test tests/js`.
//
// Defaults: at least 6 characters, each within 35 ms of the one before, then Enter.
// Scanners send a character every 1-10 ms; the fastest typists rarely go under 50 ms.

export const DEFAULTS = Object.freeze({ minLength: 6, maxGap: 35, endKeys: ["Enter"] });

function settings(options) {
  return { ...DEFAULTS, ...options };
}

// A whole burst: [{key, time}, …] ending with the end key. True when a scanner typed it.
export function isScannerBurst(events, options = {}) {
  const { minLength, maxGap, endKeys } = settings(options);
  if (events.length < minLength + 1) return false;
  const last = events[events.length - 1];
  if (!endKeys.includes(last.key)) return false;
  const chars = events.slice(0, -1);
  if (!chars.every((e) => typeof e.key === "string" && e.key.length === 1)) return false;
  for (let i = 1; i < events.length; i += 1) {
    const gap = events[i].time - events[i - 1].time;
    if (gap < 0 || gap >= maxGap) return false;
  }
  return true;
}

// The same test, one key at a time, for a keydown handler. Printable keys are held back
// while they might be the start of a scan; what the caller does with each answer:
//   {action: "hold"}                    preventDefault: the detector keeps the key for now
//   {action: "scan", code}              preventDefault: a barcode — add it to the sale
//   {action: "type", keys, pass}        the held `keys` were a person's: put them in the
//                                       focused field; `pass` says whether this key event
//                                       goes through as usual (false: it is held instead)
//   {action: "pass"}                    nothing held; let the event go through
// and call `expire(now)` from a timer `maxGap` ms after a hold: it returns held keys that
// no scanner followed up in time, to be typed as a person's.
export function createWedgeDetector(options = {}) {
  const { minLength, maxGap, endKeys } = settings(options);
  let held = [];

  function release() {
    const keys = held.map((e) => e.key);
    held = [];
    return keys;
  }

  function feed({ key, time }) {
    const last = held[held.length - 1];
    const inBurst = last === undefined || time - last.time < maxGap;
    if (endKeys.includes(key)) {
      if (held.length >= minLength && inBurst) return { action: "scan", code: release().join("") };
      if (held.length === 0) return { action: "pass" };
      return { action: "type", keys: release(), pass: true };
    }
    if (typeof key !== "string" || key.length !== 1) {
      // Shift, arrows, F-keys: not part of a barcode, and no reason to drop what is held.
      return { action: "pass" };
    }
    if (!inBurst) {
      const keys = release();
      held.push({ key, time });
      return { action: "type", keys, pass: false };
    }
    held.push({ key, time });
    return { action: "hold" };
  }

  function expire(now) {
    const last = held[held.length - 1];
    if (last !== undefined && now - last.time >= maxGap) return release();
    return [];
  }

  return {
    feed,
    expire,
    get pending() {
      return held.length;
    },
    reset: release,
  };
}
