/* What the manager's sections of the back office share: who is logged in and the store's
 * currency and time zone, the screen's words, amounts read with a reason, and the field a
 * message is about. No page is touched when this module loads (node --test imports it). */
import C from "../comptoir.js";

export const state = {
  me: null, currency: "CAD", timezone: null, auditAfter: 0, rules: null, categories: [], editing: null,
};

/** The screen's words (backoffice.*) in the person's language. */
export const w = (key, values) => C.t(`backoffice.${key}`, values);

export const fmt = (minor) => C.formatAmount(minor, state.currency);

/** "The price “3,9x” is not an amount in CAD (at most 2 decimals)." */
export function notAnAmount(what, text, currency = state.currency) {
  const why = C.readAmount(text, currency).error;
  if (why) return `${what}: ${why.charAt(0) === "“" ? why : why.charAt(0).toLowerCase() + why.slice(1)}`;
  const exp = C.exponent(currency);
  const values = { what, text, currency, decimals: exp };
  return exp ? w("not_an_amount_decimals", values) : w("not_an_amount_whole", values);
}

/** A value the screen cannot send, and the id of the field it is in. */
export class Problem {
  constructor(message, field) {
    this.message = message;
    this.field = field;
  }
}

/** Marks the field a message is about (aria-invalid) and puts the focus on it. */
export function blame(field) {
  field.setAttribute("aria-invalid", "true");
  field.focus();
}

export function clearBlame(form) {
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
}

/** Runs `read()`; a Problem it throws is said in `box` and its field blamed (false), else
 * what it read. */
export function readOrSay(read, box) {
  try {
    return read();
  } catch (problem) {
    if (!(problem instanceof Problem)) throw problem;
    C.say(box, problem.message);
    blame(document.getElementById(problem.field));
    return false;
  }
}
