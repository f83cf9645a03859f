/* The till: scans queued and sent one at a time (each answer is the whole sale). */

import C, { $, api } from "../comptoir.js";
import { state } from "./state.js";
import { announce, fmt, reload, setSale, showError } from "./sale.js";
import { askWeight } from "./weight.js";

export async function ensureSale() {
  if (state.sale && state.sale.status === "open") return state.sale;
  const sale = await api("POST", "/sales", { json: {} });
  state.done = false;
  state.selected = null;
  C.show($("change-box"), false);
  setSale(sale);
  return sale;
}

function parseScan(text) {
  const m = /^(\d{1,4})\s*[*xX]\s*(\S+)$/.exec(text);
  if (m) return { quantity: Number(m[1]), code: m[2] };
  return { quantity: 1, code: text };
}

export async function runQueue() {
  if (state.scanning) return;
  state.scanning = true;
  try {
    while (state.queue.length) {
      const item = state.queue.shift();
      if (typeof item === "string") await addItem(item);
      else await sendItem(item.bodies, item.name);
    }
  } finally {
    state.scanning = false;
  }
}

/** Adds one scan; its Idempotency-Key makes a re-send after a lost answer (the network
 * failed, not the API) add the item once. */
async function postItem(saleId, body, key) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await api("POST", `/sales/${saleId}/items`, { json: body, headers: { "Idempotency-Key": key } });
    } catch (err) {
      if (err.status !== 0 || attempt >= 3) throw err;
      await new Promise((done) => setTimeout(done, 400 * attempt));
    }
  }
}

const UNKNOWN = new Set(["unknown_plu", "unknown_barcode", "unknown_sku"]);

/** What a typed or scanned code may be, in the order tried: 4-5 digits a PLU (else the shop's
 * own short barcode, else a sku), other digits a barcode (else a sku), anything else a sku. */
function codeBodies(code) {
  if (/^\d{4,5}$/.test(code)) return [{ plu: code }, { barcode: code }, { sku: code }];
  if (/^\d+$/.test(code)) return [{ barcode: code }, { sku: code }];
  return [{ sku: code }];
}

async function addItem(text) {
  const { quantity, code } = parseScan(text);
  const bodies = codeBodies(code).map((b) => (quantity !== 1 ? { ...b, quantity } : b));
  return sendItem(bodies);
}

/** Adds an item: each body in turn while the code is unknown (the first refusal is the one
 * shown); an item sold by weight asks for its weight, then is sent again with its grams. */
async function sendItem(bodies, name) {
  try {
    const sale = await ensureSale();
    const known = new Set(sale.lines.map((l) => l.line + ":" + l.quantity));
    const key = C.uuid();
    let answer = null;
    let first = null;
    for (const [i, body] of bodies.entries()) {
      try {
        answer = await postItem(sale.id, body, `${key}-${i}`);
        break;
      } catch (err) {
        if (err.code === "weigh_item") {
          const grams = await askWeight(name || err.message.split(":")[0]);
          if (grams === null) {
            showError("");
            return null;
          }
          answer = await postItem(sale.id, { ...body, grams }, `${key}-${i}-w`);
          break;
        }
        if (!UNKNOWN.has(err.code)) throw err;
        first = first || err;
      }
    }
    if (!answer) throw first;
    const changed = answer.lines.filter((l) => !l.voided && !known.has(l.line + ":" + l.quantity));
    const line = changed.length ? changed[changed.length - 1] : null;
    showError("");
    setSale(answer, { select: line ? line.line : state.selected });
    if (line) announce(C.t("till.announce_quantity", { name: line.name, quantity: line.quantity, total: fmt(answer.totals.total) }));
    return line;
  } catch (err) {
    showError(err.message);
    if (err.status === 409 && state.sale) await reload();
    return null;
  }
}
