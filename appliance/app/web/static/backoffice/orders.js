/* Purchase orders: the list by status, one order open (sent, cancelled, received in part or
 * whole), a new order typed line by line. */
import C, { $, api, el, say } from "../comptoir.js";
import { loadSuppliers } from "./suppliers.js";
import { cellInput, fmt, frame, lineEditor, parseWhole, rowButton, state, stockMoved, w, when } from "./shared.js";

const ORDER_STATES = { draft: "draft", ordered: "ordered", partial: "partly_received", received: "received", cancelled: "cancelled" };
export const orderWord = (status) => (ORDER_STATES[status] ? w(ORDER_STATES[status]) : status);
export const RECEIVABLE = ["draft", "ordered", "partial"];
let order = null; // the order open below the list
let poLines = null;

/** What is said of an order above its lines, in the person's language. */
export function orderMeta(o, currency) {
  const parts = [w("order_status_is", { status: orderWord(o.status) }), w("order_value_is", { value: `${C.formatAmount(o.value, currency)} ${currency}` }),
    w("created_at", { when: when(o.created_at) })];
  if (o.ordered_at) parts.push(w("ordered_at", { when: when(o.ordered_at) }));
  if (o.closed_at) parts.push(w("closed_at", { when: when(o.closed_at) }));
  if (o.note) parts.push(w("note_is", { note: o.note }));
  return parts.join(" ");
}

/** A new order's lines from the filled rows, or the problem ([backoffice.* word, values]). */
export function orderLines(items, currency) {
  const lines = [];
  for (const item of items) {
    const quantity = parseWhole(item.quantity, false);
    if (!item.sku) return { problem: ["line_has_no_sku", { line: item.line }] };
    if (!quantity) return { problem: ["quantity_on_line_whole", { line: item.line }] };
    const line = { sku: item.sku, quantity };
    if (item.cost) {
      line.unit_cost = C.parseAmount(item.cost, currency);
      if (line.unit_cost === null) return { problem: ["unit_cost_on_line", { line: item.line, why: C.readAmount(item.cost, currency).error }] };
    }
    lines.push(line);
  }
  if (!lines.length) return { problem: ["order_needs_a_line", {}] };
  return { lines };
}

/** What arrived, from the receiving fields ([{sku, text}]): the lines, or the place of the
 * first field whose quantity is not a whole number ({bad}); fields left empty are skipped. */
export function receivedLines(fields) {
  const lines = [];
  for (const [i, { sku, text }] of fields.entries()) {
    if (!text.trim()) continue;
    const quantity = parseWhole(text, false);
    if (!quantity) return { bad: i };
    lines.push({ sku, quantity });
  }
  return { lines };
}

async function loadOrders() {
  say($("orders-error"), "");
  const status = $("orders-status").value;
  try {
    const found = await api("GET", "/purchase-orders?" + new URLSearchParams(status ? { status } : {}));
    const body = $("orders-body");
    body.replaceChildren();
    for (const o of found.orders) {
      body.append(el("tr", {}, el("td", {}, "#" + o.id), el("td", {}, o.supplier), el("td", {}, orderWord(o.status)),
        el("td", { class: "nowrap" }, when(o.created_at)), el("td", { class: "nowrap" }, when(o.ordered_at)),
        el("td", { class: "num" }, String(o.lines)), el("td", { class: "num" }, fmt(o.value)),
        el("td", {}, rowButton(w("open"), w("order_number", { id: o.id }), () => openOrder(o.id)))));
    }
    if (!found.orders.length) body.append(el("tr", {}, el("td", { colspan: "8" }, w("no_purchase_order"))));
    $("orders-caption").textContent = status ? w("orders_of_status", { status: orderWord(status) }) : w("orders_all");
  } catch (err) {
    say($("orders-error"), err.message);
  }
}

function showOrder(o, focus) {
  order = o;
  const open = RECEIVABLE.includes(o.status);
  $("order-title").textContent = w("order_title", { id: o.id, supplier: o.supplier });
  $("order-meta").textContent = orderMeta(o, state.currency);
  const body = $("order-lines");
  body.replaceChildren();
  for (const l of o.lines) {
    const receiving = el("td", { class: "num receive-col" });
    if (open && l.outstanding > 0) {
      receiving.append(cellInput(`receive-${o.id}-${l.sku}`, w("receiving_now_of", { sku: l.sku }),
        { inputmode: "numeric", class: "qty-input", "data-sku": l.sku, "data-outstanding": String(l.outstanding) }));
    }
    body.append(el("tr", {}, el("td", {}, l.sku), el("td", {}, l.name), el("td", { class: "num" }, String(l.ordered)),
      el("td", { class: "num" }, String(l.received)), el("td", { class: "num" }, String(l.outstanding)),
      el("td", { class: "num" }, fmt(l.unit_cost)), receiving));
  }
  $("order-caption").textContent = w("lines_of_order", { id: o.id });
  for (const node of document.querySelectorAll("#order-view .receive-col")) C.show(node, open);
  C.show($("order-send"), o.status === "draft");
  C.show($("order-cancel"), o.status === "draft" || o.status === "ordered");
  C.show($("order-view"), true);
  if (focus) $("order-title").focus();
}

async function openOrder(id) {
  say($("order-error"), "");
  say($("order-done"), "");
  try {
    showOrder(await api("GET", `/purchase-orders/${id}`), true);
  } catch (err) {
    say($("orders-error"), err.message);
  }
}

/** Shows the orders screen filtered by status, with a word at the top and perhaps one order open. */
export function goToOrders(status, notice, open) {
  $("orders-status").value = status;
  $("orders").dataset.loaded = "1";
  location.hash = "#orders";
  frame.route();
  if (!state.suppliersLoaded) loadSuppliers();
  if (!$("po-lines").rows.length) poLines.reset();
  say($("orders-done"), notice);
  loadOrders();
  if (open) {
    say($("order-error"), "");
    say($("order-done"), "");
    showOrder(open, false);
  } else {
    C.show($("order-view"), false);
  }
}

async function orderAction(path, done) {
  say($("order-error"), "");
  say($("order-done"), "");
  try {
    showOrder(await api("POST", `/purchase-orders/${order.id}/${path}`, { json: {} }), false);
    stockMoved();
    say($("order-done"), done);
    loadOrders();
  } catch (err) {
    say($("order-error"), err.message);
  }
}

export function wire() {
  $("orders-filter").addEventListener("submit", (e) => { e.preventDefault(); say($("orders-done"), ""); loadOrders(); });
  $("order-send").addEventListener("click", () => orderAction("send", w("order_marked_ordered", { id: order.id })));
  $("order-cancel").addEventListener("click", () => {
    if (!window.confirm(w("cancel_order_confirm", { id: order.id, supplier: order.supplier }))) return;
    orderAction("cancel", w("order_cancelled", { id: order.id }));
  });
  $("order-fill").addEventListener("click", () => {
    for (const input of document.querySelectorAll("#order-lines input")) input.value = input.dataset.outstanding;
  });

  $("receive-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("order-error"), "");
    say($("order-done"), "");
    const inputs = Array.from(document.querySelectorAll("#order-lines input"));
    const { lines, bad } = receivedLines(inputs.map((input) => ({ sku: input.dataset.sku, text: input.value })));
    if (bad !== undefined) {
      say($("order-error"), w("arrived_whole", { sku: inputs[bad].dataset.sku }));
      inputs[bad].focus();
      return;
    }
    if (!lines.length) {
      say($("order-error"), w("type_how_many_arrived"));
      return;
    }
    try {
      const after = await api("POST", `/purchase-orders/${order.id}/receipts`, { json: { lines } });
      showOrder(after, false);
      stockMoved();
      const units = lines.reduce((sum, l) => sum + l.quantity, 0);
      say($("order-done"), w("received_units", { units, id: after.id, status: orderWord(after.status).toLowerCase() }));
      loadOrders();
    } catch (err) {
      say($("order-error"), err.message);
    }
  });

  poLines = lineEditor($("po-lines"), [
    { key: "sku", words: "sku", attrs: { autocapitalize: "none" } },
    { key: "quantity", words: "quantity", attrs: { inputmode: "numeric", class: "qty-input" } },
    { key: "cost", words: "unit_cost", attrs: { inputmode: "decimal", class: "qty-input" } },
  ]);
  poLines.reset();

  $("po-add").addEventListener("click", () => poLines.add().querySelector("input").focus());

  $("po-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("po-error"), "");
    const supplier = $("po-supplier").value;
    if (!supplier) {
      say($("po-error"), w("choose_a_supplier_first"));
      $("po-supplier").focus();
      return;
    }
    const { lines, problem } = orderLines(poLines.values(), state.currency);
    if (problem) return say($("po-error"), w(...problem));
    const json = { supplier_id: Number(supplier), lines };
    if ($("po-note").value.trim()) json.note = $("po-note").value.trim();
    try {
      const made = await api("POST", "/purchase-orders", { json });
      stockMoved();
      $("po-form").reset();
      poLines.reset();
      say($("orders-done"), "");
      showOrder(made, true);
      say($("order-done"), w("draft_created", { id: made.id, supplier: made.supplier }));
      loadOrders();
    } catch (err) {
      say($("po-error"), err.message);
    }
  });
}

export const loaders = { orders: () => { loadSuppliers(); loadOrders(); } };

export function onReady() {
  poLines.words(); // written before the words arrived, it says them now
}

export function onLanguage() {
  poLines.words();
  if (order && !$("order-view").hidden) showOrder(order, false);
}
