/* What the back office's stock, customers and time sections share: who is logged in and the
 * store's currency, the screen's words, times and whole numbers as people type and read them,
 * the buttons of a table's rows and the editable lines of a count or an order. */
import C, { $, el } from "../comptoir.js";

export const state = { me: null, currency: "CAD", suppliers: [], suppliersLoaded: false };

/** The office's frame (office.js): what the role may do, and showing the section the hash
 * names. backoffice.js puts the frame's own here; the sections do not import the frame, whose
 * module listens on the page as it loads, so node --test can load them. */
export const frame = { can: () => false, route: () => {} };

/** The screen's words (backoffice.*) in the person's language. */
export const w = (key, values) => C.t(`backoffice.${key}`, values);

export const fmt = (minor) => C.formatAmount(minor, state.currency);

/** "2026-03-01T14:05:09Z" → "2026-03-01 14:05" (the API's time, to the minute). */
export const when = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");
export const signed = (n) => (n > 0 ? "+" + n : String(n));
const WHOLE = /^\d{1,9}$/;

/** A whole number typed by a person: "12", "+3", "-3" or "−3" (the typographic minus) when
 * `signs`; null when it is not one. */
export function parseWhole(text, signs) {
  const cleaned = String(text).trim().replace(/^−/, "-");
  if (!(signs ? /^[+-]?\d{1,9}$/ : WHOLE).test(cleaned)) return null;
  return Number(cleaned);
}

/** On-hand or on-order moved: the stock and movements screens read afresh the next time they show. */
export function stockMoved() {
  delete $("stock").dataset.loaded;
  delete $("movements").dataset.loaded;
}

/* Inputs and buttons in table rows are named with aria-label, not a .sr-only element: an
 * absolutely placed element low in a long section would make the whole page scroll. */

/** An input that sits in a table cell, named for a screen reader. */
export function cellInput(id, label, attrs) {
  return el("input", Object.assign({ id, "aria-label": label, autocomplete: "off", spellcheck: "false" }, attrs));
}

/** A button for one row of a table: visible words; its name also says whose row it is. */
export function rowButton(words, whose, onclick, cls) {
  return el("button", { type: "button", class: cls || null, "aria-label": `${words} ${whose}`, onclick }, words);
}

/** The rows of a line editor as typed ([[line, {key: text}]…] in order): the filled ones as
 * [{line, key: text…}], rows left wholly empty skipped. */
export function filledLines(rows, keys) {
  const out = [];
  rows.forEach((typed, i) => {
    const item = { line: i + 1, ...typed };
    if (keys.some((key) => item[key])) out.push(item);
  });
  return out;
}

/**
 * Rows of inputs in a form's table (a count, a new order). Enter moves to the next field,
 * then to a new line, so a scanner's Enter never submits half a list; the submit button does.
 * fields: [{key, words (the backoffice.* key of its name), attrs}]. Returns {add, values, reset, words}.
 */
export function lineEditor(body, fields) {
  let made = 0;

  function relabel() {
    Array.from(body.rows).forEach((row, i) => {
      for (const input of row.querySelectorAll("input")) {
        input.setAttribute("aria-label", w("field_on_line", { field: w(input.dataset.field), line: i + 1 }));
      }
      row.querySelector("button").setAttribute("aria-label", w("remove_line", { line: i + 1 }));
    });
  }

  function add(values = {}) {
    made += 1;
    const row = el("tr", {});
    for (const f of fields) {
      const input = cellInput(`${body.id}-${f.key}-${made}`, w(f.words),
        Object.assign({ "data-key": f.key, "data-field": f.words }, f.attrs));
      if (values[f.key] !== undefined) input.value = values[f.key];
      row.append(el("td", { class: f.attrs && f.attrs.class === "qty-input" ? "num" : null }, input));
    }
    row.append(el("td", {}, el("button", {
      type: "button",
      onclick: () => {
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        if (!body.rows.length) add();
        relabel();
        (next && next.isConnected ? next : body.rows[0]).querySelector("input").focus();
      },
    }, w("remove"))));
    body.append(row);
    relabel();
    return row;
  }

  body.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.target.tagName !== "INPUT") return;
    e.preventDefault();
    const inputs = Array.from(e.target.closest("tr").querySelectorAll("input"));
    const i = inputs.indexOf(e.target);
    if (i < inputs.length - 1) inputs[i + 1].focus();
    else (e.target.closest("tr").nextElementSibling || add()).querySelector("input").focus();
  });

  /** The filled rows as [{line, key: text…}]; rows left wholly empty are skipped. */
  function values() {
    const typed = Array.from(body.rows).map((row) =>
      Object.fromEntries(Array.from(row.querySelectorAll("input"), (input) => [input.dataset.key, input.value.trim()])));
    return filledLines(typed, fields.map((f) => f.key));
  }

  function reset() {
    body.replaceChildren();
    add();
  }

  /** Says the rows again in the person's language, what is typed in them kept. */
  function words() {
    for (const row of body.rows) row.querySelector("button").textContent = w("remove");
    relabel();
  }

  return { add, values, reset, words };
}
