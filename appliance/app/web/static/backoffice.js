/* The back office's stock, customers and time: time clock; stock (levels, adjustments, rules,
 * counts, movements), suppliers and purchase orders; customers and their points; gift cards;
 * reports with CSV. office.js shows the sections (by the URL's hash and the role's
 * permissions; inside a section, an element with data-needs shows only to a role that holds it). */
"use strict";

(() => {
  const C = Comptoir;
  const { $, api, el, say } = C;
  const state = { me: null, currency: "CAD", suppliers: [], suppliersLoaded: false };
  const MONEY = new Set(["subtotal", "tax", "total", "average", "amount", "taken", "refunded", "net", "base",
    "cost", "value", "retail_value", "balance", "liability", "expired_balance", "debit", "credit", "gift_cards_sold"]);
  // Each report's name for people is its backoffice.* word.
  const REPORTS = [
    ["by-day", "sales_by_day"], ["by-hour", "sales_by_hour"], ["by-employee", "sales_per_employee"],
    ["by-tender", "by_tender"], ["by-tax", "by_tax"], ["top-products", "top_products"],
    ["slow-products", "slow_products"], ["voids-and-discounts", "voids_and_discounts"], ["returns", "returns"],
    ["timesheet", "timesheet"], ["stock-value", "stock_value"], ["gift-card-liability", "gift_card_liability"],
    ["journal", "accounting_journal"],
  ];

  const fmt = (minor) => C.formatAmount(minor, state.currency);
  const can = (p) => Office.can(p);
  /** The screen's words (backoffice.*) in the person's language. */
  const w = (key, values) => C.t(`backoffice.${key}`, values);

  /* -- time clock ------------------------------------------------------------------------ */

  const CLOCK_WORDS = { off: "clocked_out", working: "working", on_break: "on_a_break" };
  let clockShown = null; // the status on screen, to say again in another language

  function showClock(status) {
    clockShown = status;
    const since = status.since ? " " + w("since_utc", { time: status.since.slice(11, 16) }) : "";
    $("clock-state").textContent = w(CLOCK_WORDS[status.state]) + since;
    const allowed = { off: ["clock_in"], working: ["break_start", "clock_out"], on_break: ["break_end", "clock_out"] };
    for (const b of document.querySelectorAll("[data-clock]")) b.disabled = !allowed[status.state].includes(b.dataset.clock);
  }

  async function loadClock() {
    try {
      showClock(await api("GET", "/time-clock"));
    } catch (err) {
      say($("clock-error"), err.message);
    }
  }

  for (const button of document.querySelectorAll("[data-clock]")) {
    button.addEventListener("click", async () => {
      say($("clock-error"), "");
      try {
        showClock(await api("POST", "/time-clock", { json: { action: button.dataset.clock } }));
      } catch (err) {
        say($("clock-error"), err.message);
      }
    });
  }

  /* -- shared bits: words, times, numbers, editable lines ----------------------------------- */

  /** On-hand or on-order moved: the stock and movements screens read afresh the next time they show. */
  function stockMoved() {
    delete $("stock").dataset.loaded;
    delete $("movements").dataset.loaded;
  }

  const when = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");
  const signed = (n) => (n > 0 ? "+" + n : String(n));
  const WHOLE = /^\d{1,9}$/;

  /** A whole number typed by a person: "12", "+3", "-3" or "−3" (the typographic minus). */
  function parseWhole(text, signs) {
    const cleaned = String(text).trim().replace(/^−/, "-");
    if (!(signs ? /^[+-]?\d{1,9}$/ : WHOLE).test(cleaned)) return null;
    return Number(cleaned);
  }

  /* Inputs and buttons in table rows are named with aria-label, not a .sr-only element: an
   * absolutely placed element low in a long section would make the whole page scroll. */

  /** An input that sits in a table cell, named for a screen reader. */
  function cellInput(id, label, attrs) {
    return el("input", Object.assign({ id, "aria-label": label, autocomplete: "off", spellcheck: "false" }, attrs));
  }

  /**
   * Rows of inputs in a form's table (a count, a new order). Enter moves to the next field,
   * then to a new line, so a scanner's Enter never submits half a list; the submit button does.
   * fields: [{key, words (the backoffice.* key of its name), attrs}]. Returns {add, values, reset, words}.
   */
  function lineEditor(body, fields) {
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
      const out = [];
      Array.from(body.rows).forEach((row, i) => {
        const item = { line: i + 1 };
        for (const input of row.querySelectorAll("input")) item[input.dataset.key] = input.value.trim();
        if (fields.some((f) => item[f.key])) out.push(item);
      });
      return out;
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

  /** A button for one row of a table: visible words; its name also says whose row it is. */
  function rowButton(words, whose, onclick, cls) {
    return el("button", { type: "button", class: cls || null, "aria-label": `${words} ${whose}`, onclick }, words);
  }

  /* -- stock ------------------------------------------------------------------------------ */

  let stockView = () => loadStock("");

  function supplierName(id) {
    const found = state.suppliers.find((s) => s.id === id);
    return found ? found.name : "";
  }

  function stockRows(products, caption) {
    const body = $("stock-body");
    body.replaceChildren();
    for (const p of products) {
      body.append(el("tr", {}, el("td", {}, p.sku), el("td", {}, p.name), el("td", { class: "num" }, String(p.on_hand)),
        el("td", { class: "num" }, String(p.on_order)), el("td", { class: "num" }, p.reorder_point === null ? "—" : String(p.reorder_point)),
        el("td", { class: "num" }, fmt(p.cost)), el("td", { class: "num" }, p.suggested ? String(p.suggested) : ""),
        el("td", {}, p.supplier_id === null ? "" : supplierName(p.supplier_id)),
        el("td", { class: "nowrap" }, rowButton(w("rules"), w("of_sku", { sku: p.sku }), () => editRules(p)),
          rowButton(w("movements"), w("of_sku", { sku: p.sku }), () => showMovementsOf(p.sku)))));
    }
    if (!products.length) body.append(el("tr", {}, el("td", { colspan: "9" }, w("nothing_to_show"))));
    $("stock-caption").textContent = caption;
  }

  let stockAsked = 0; // only the answer to the latest question fills the table

  async function showStock(view, path, caption) {
    say($("stock-error"), "");
    stockView = view;
    const mine = ++stockAsked;
    try {
      if (!state.suppliersLoaded) await loadSuppliers();
      const found = await api("GET", path);
      if (mine === stockAsked) stockRows(found.products, caption);
    } catch (err) {
      if (mine === stockAsked) say($("stock-error"), err.message);
    }
  }

  function loadStock(q) {
    return showStock(() => loadStock(q), "/stock?" + new URLSearchParams({ q }), q ? w("matching", { q }) : w("stock"));
  }

  function loadLow() {
    return showStock(loadLow, "/stock/low", w("at_or_under_reorder_point"));
  }

  $("stock-search").addEventListener("submit", (e) => { e.preventDefault(); loadStock($("stock-q").value.trim()); });
  $("stock-low").addEventListener("click", loadLow);
  $("stock-suggest").addEventListener("click", async () => {
    say($("stock-error"), "");
    say($("stock-done"), "");
    try {
      const made = await api("POST", "/purchase-orders/suggest", { json: {} });
      const without = made.without_supplier.length
        ? " " + w("low_without_supplier", { products: made.without_supplier.map((p) => `${p.sku} (${p.suggested})`).join(", ") })
        : "";
      if (!made.orders.length) {
        say($("stock-done"), w("no_draft_order_made") + without);
        return;
      }
      stockMoved();
      const names = made.orders.map((o) => `#${o.id} (${o.supplier})`).join(", ");
      goToOrders("draft", w("drafts_suggested", { count: made.orders.length, names }) + without,
        made.orders.length === 1 ? made.orders[0] : null);
    } catch (err) {
      say($("stock-error"), err.message);
    }
  });
  $("adjust-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("stock-error"), "");
    say($("stock-done"), "");
    const quantity = parseWhole($("adj-qty").value, true);
    if (quantity === null || quantity === 0) {
      say($("stock-error"), w("change_whole_not_zero"));
      return;
    }
    try {
      const json = { sku: $("adj-sku").value.trim(), quantity, reason: $("adj-reason").value };
      if ($("adj-note").value.trim()) json.note = $("adj-note").value.trim();
      const done = await api("POST", "/stock/adjustments", { json });
      $("adj-qty").value = "";
      $("adj-note").value = "";
      say($("stock-done"), w("on_hand_now", { sku: done.sku, count: done.on_hand }));
      delete $("movements").dataset.loaded;
      stockView();
    } catch (err) {
      say($("stock-error"), err.message);
    }
  });

  /* -- stock rules: cost, reorder point and quantity, supplier ------------------------------- */

  let rulesOf = null; // the product whose rules the form shows, as the API last gave them

  function editRules(p) {
    rulesOf = p;
    $("rule-sku").value = p.sku;
    $("rule-cost").value = C.formatAmount(p.cost, state.currency).replace(/,/g, "");
    $("rule-point").value = p.reorder_point === null ? "" : String(p.reorder_point);
    $("rule-qty").value = p.reorder_quantity === null ? "" : String(p.reorder_quantity);
    const pick = () => { $("rule-supplier").value = p.supplier_id === null ? "" : String(p.supplier_id); };
    pick();
    if (!state.suppliersLoaded) loadSuppliers().then(() => { if (rulesOf === p) pick(); });
    say($("rules-error"), "");
    say($("rules-done"), "");
    $("rule-cost").focus();
  }

  /** The stocked product with exactly this SKU; null when there is none. */
  async function stockedProduct(sku) {
    try {
      return await api("GET", `/stock/products/${encodeURIComponent(sku)}`);
    } catch (err) {
      if (err.code === "product_not_found" || err.code === "not_stocked") return null;
      throw err;
    }
  }

  $("rule-sku").addEventListener("change", async () => {
    const sku = $("rule-sku").value.trim();
    if (!sku || (rulesOf && rulesOf.sku === sku)) return;
    rulesOf = null;
    try {
      const p = await stockedProduct(sku);
      if (p) editRules(p);
      else say($("rules-error"), w("no_stocked_product", { sku }));
    } catch (err) {
      say($("rules-error"), err.message);
    }
  });

  $("rules-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("rules-error"), "");
    say($("rules-done"), "");
    const sku = $("rule-sku").value.trim();
    try {
      if (!rulesOf || rulesOf.sku !== sku) {
        const p = sku ? await stockedProduct(sku) : null;
        if (!p) {
          say($("rules-error"), sku ? w("no_stocked_product", { sku }) : w("give_the_products_sku"));
          return;
        }
        editRules(p);
        say($("rules-done"), w("these_are_the_rules", { sku }));
        return;
      }
      const cost = C.parseAmount($("rule-cost").value, state.currency);
      if (cost === null) {
        say($("rules-error"), `${w("the_cost")}: ${C.readAmount($("rule-cost").value, state.currency).error}`);
        return;
      }
      const counts = {};
      for (const [key, id, words] of [["reorder_point", "rule-point", "point_whole"], ["reorder_quantity", "rule-qty", "quantity_whole"]]) {
        const text = $(id).value.trim();
        counts[key] = text === "" ? null : parseWhole(text, false);
        if (counts[key] === null && text !== "") {
          say($("rules-error"), w(words));
          return;
        }
      }
      const wanted = Object.assign({ cost }, counts);
      // The supplier only when the list it is chosen from holds the product's own: never cleared by accident.
      const known = rulesOf.supplier_id === null || state.suppliers.some((x) => x.id === rulesOf.supplier_id);
      if (known) wanted.supplier_id = $("rule-supplier").value === "" ? null : Number($("rule-supplier").value);
      const changes = {};
      for (const [key, value] of Object.entries(wanted)) if (rulesOf[key] !== value) changes[key] = value;
      if (!Object.keys(changes).length) {
        say($("rules-done"), w("nothing_changed"));
        return;
      }
      const saved = await api("PATCH", `/stock/products/${encodeURIComponent(sku)}`, { json: changes });
      editRules(saved);
      say($("rules-done"), w("rules_saved_for", { sku: saved.sku }));
      stockView();
    } catch (err) {
      say($("rules-error"), err.message);
    }
  });

  /* -- stock count ---------------------------------------------------------------------------- */

  const countLines = lineEditor($("count-lines"), [
    { key: "sku", words: "sku", attrs: { autocapitalize: "none" } },
    { key: "counted", words: "counted", attrs: { inputmode: "numeric", class: "qty-input" } },
  ]);

  $("count-add").addEventListener("click", () => countLines.add().querySelector("input").focus());

  $("count-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("count-error"), "");
    const lines = [];
    for (const item of countLines.values()) {
      const counted = parseWhole(item.counted, false);
      if (!item.sku) return say($("count-error"), w("line_has_no_sku", { line: item.line }));
      if (counted === null) return say($("count-error"), w("count_on_line_whole", { line: item.line }));
      lines.push({ sku: item.sku, counted });
    }
    if (!lines.length) return say($("count-error"), w("count_at_least_one"));
    try {
      const done = await api("POST", "/stock/counts", { json: { reason: $("count-reason").value.trim(), lines } });
      const off = done.lines.filter((l) => l.variance !== 0);
      $("count-done").textContent = w("count_saved", {
        count: done.lines.length, off: off.length, value: `${fmt(done.variance_value)} ${state.currency}` });
      const body = $("count-result-body");
      body.replaceChildren(...done.lines.map((l) => el("tr", {}, el("td", {}, l.sku), el("td", { class: "num" }, String(l.expected)),
        el("td", { class: "num" }, String(l.counted)), el("td", { class: "num" }, signed(l.variance)),
        el("td", { class: "num" }, fmt(l.variance_value)))));
      C.show($("count-result"), true);
      stockMoved();
      countLines.reset();
      $("count-reason").value = "";
    } catch (err) {
      say($("count-error"), err.message);
    }
  });

  /* -- stock movements -------------------------------------------------------------------------- */

  const KINDS = { adjustment: "kind_adjustment", count: "kind_count", receipt: "receipt" };

  async function loadMovements(sku) {
    say($("movements-error"), "");
    try {
      const found = await api("GET", "/stock/movements?" + new URLSearchParams(sku ? { sku } : {}));
      const body = $("movements-body");
      body.replaceChildren();
      for (const m of found.movements) {
        const po = /^po:(\d+)$/.exec(m.reference || "");
        body.append(el("tr", {}, el("td", { class: "nowrap" }, when(m.at)), el("td", {}, m.sku), el("td", {}, m.name),
          el("td", {}, KINDS[m.kind] ? w(KINDS[m.kind]) : m.kind), el("td", { class: "num" }, signed(m.quantity)),
          el("td", { class: "num" }, String(m.on_hand)), el("td", {}, m.reason),
          el("td", {}, po ? w("purchase_order_number", { id: po[1] }) : m.reference || ""), el("td", {}, m.user)));
      }
      if (!found.movements.length) body.append(el("tr", {}, el("td", { colspan: "9" }, w("no_movement_yet"))));
      $("movements-caption").textContent = sku ? w("movements_of", { sku }) : w("movements_all");
    } catch (err) {
      say($("movements-error"), err.message);
    }
  }

  function showMovementsOf(sku) {
    $("movements-sku").value = sku;
    $("movements").dataset.loaded = "1";
    location.hash = "#movements";
    loadMovements(sku);
  }

  $("movements-form").addEventListener("submit", (e) => { e.preventDefault(); loadMovements($("movements-sku").value.trim()); });

  /* -- suppliers ------------------------------------------------------------------------------------ */

  async function loadSuppliers() {
    say($("suppliers-error"), "");
    try {
      state.suppliers = (await api("GET", "/suppliers")).suppliers;
      state.suppliersLoaded = true;
    } catch (err) {
      say($("suppliers-error"), err.message);
      return;
    }
    const body = $("suppliers-body");
    body.replaceChildren(...state.suppliers.map((s) => el("tr", {}, el("td", {}, s.name), el("td", {}, s.email || ""),
      el("td", {}, s.phone || ""))));
    if (!state.suppliers.length) body.append(el("tr", {}, el("td", { colspan: "3" }, w("no_supplier_yet"))));
    for (const select of document.querySelectorAll(".supplier-select")) {
      const keep = select.value;
      select.replaceChildren(el("option", { value: "" }, w(select.dataset.empty)),
        ...state.suppliers.map((s) => el("option", { value: String(s.id) }, s.name)));
      select.value = keep;
      if (select.value !== keep) select.value = "";
    }
  }

  $("supplier-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("supplier-add-error"), "");
    say($("supplier-add-done"), "");
    const json = { name: $("s-name").value.trim() };
    if ($("s-email").value.trim()) json.email = $("s-email").value.trim();
    if ($("s-phone").value.trim()) json.phone = $("s-phone").value.trim();
    try {
      const made = await api("POST", "/suppliers", { json });
      $("supplier-form").reset();
      say($("supplier-add-done"), w("supplier_added", { name: made.name }));
      await loadSuppliers();
    } catch (err) {
      say($("supplier-add-error"), err.message);
    }
  });

  /* -- purchase orders ---------------------------------------------------------------------------- */

  const ORDER_STATES = { draft: "draft", ordered: "ordered", partial: "partly_received", received: "received", cancelled: "cancelled" };
  const orderWord = (status) => (ORDER_STATES[status] ? w(ORDER_STATES[status]) : status);
  const RECEIVABLE = ["draft", "ordered", "partial"];
  let order = null; // the order open below the list

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
    const parts = [w("order_status_is", { status: orderWord(o.status) }), w("order_value_is", { value: `${fmt(o.value)} ${state.currency}` }),
      w("created_at", { when: when(o.created_at) })];
    if (o.ordered_at) parts.push(w("ordered_at", { when: when(o.ordered_at) }));
    if (o.closed_at) parts.push(w("closed_at", { when: when(o.closed_at) }));
    if (o.note) parts.push(w("note_is", { note: o.note }));
    $("order-meta").textContent = parts.join(" ");
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
  function goToOrders(status, notice, open) {
    $("orders-status").value = status;
    $("orders").dataset.loaded = "1";
    location.hash = "#orders";
    Office.route();
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
    const lines = [];
    for (const input of document.querySelectorAll("#order-lines input")) {
      if (!input.value.trim()) continue;
      const quantity = parseWhole(input.value, false);
      if (!quantity) {
        say($("order-error"), w("arrived_whole", { sku: input.dataset.sku }));
        input.focus();
        return;
      }
      lines.push({ sku: input.dataset.sku, quantity });
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

  const poLines = lineEditor($("po-lines"), [
    { key: "sku", words: "sku", attrs: { autocapitalize: "none" } },
    { key: "quantity", words: "quantity", attrs: { inputmode: "numeric", class: "qty-input" } },
    { key: "cost", words: "unit_cost", attrs: { inputmode: "decimal", class: "qty-input" } },
  ]);

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
    const lines = [];
    for (const item of poLines.values()) {
      const quantity = parseWhole(item.quantity, false);
      if (!item.sku) return say($("po-error"), w("line_has_no_sku", { line: item.line }));
      if (!quantity) return say($("po-error"), w("quantity_on_line_whole", { line: item.line }));
      const line = { sku: item.sku, quantity };
      if (item.cost) {
        line.unit_cost = C.parseAmount(item.cost, state.currency);
        if (line.unit_cost === null) return say($("po-error"), w("unit_cost_on_line", { line: item.line, why: C.readAmount(item.cost, state.currency).error }));
      }
      lines.push(line);
    }
    if (!lines.length) return say($("po-error"), w("order_needs_a_line"));
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

  /* -- customers --------------------------------------------------------------------------- */

  let customer = null; // the one open for changes

  async function findCustomers(q) {
    say($("customer-error"), "");
    try {
      const found = await api("GET", "/customers?" + new URLSearchParams({ q }));
      const body = $("customer-body");
      body.replaceChildren();
      for (const c of found.customers) {
        const actions = el("td", { class: "nowrap" }, rowButton(w("purchases"), w("of_name", { name: c.name }), () => history(c)));
        if (can("manage_customers")) {
          actions.append(rowButton(w("edit"), c.name, () => editCustomer(c)),
            rowButton(w("erase"), c.name, () => erase(c), "danger"));
        }
        body.append(el("tr", {}, el("td", {}, c.name), el("td", {}, c.email || ""), el("td", {}, c.phone || ""),
          el("td", { class: "num" }, String(c.points)), el("td", { class: "num" }, fmt(c.points_value)), actions));
      }
      if (!found.customers.length) body.append(el("tr", {}, el("td", { colspan: "6" }, w("no_customer_found"))));
    } catch (err) {
      say($("customer-error"), err.message);
    }
  }

  async function history(c) {
    try {
      const found = await api("GET", `/customers/${c.id}/purchases`);
      $("history-title").textContent = w("purchases_of", { name: c.name });
      const body = $("history-body");
      body.replaceChildren();
      for (const p of found.purchases) {
        body.append(el("tr", {}, el("td", {}, p.receipt_number), el("td", {}, when(p.completed_at)),
          el("td", { class: "num" }, fmt(p.total)), el("td", { class: "num" }, String(p.points_earned))));
      }
      if (!found.purchases.length) body.append(el("tr", {}, el("td", { colspan: "4" }, w("no_purchase_yet"))));
      C.show($("history"), true);
    } catch (err) {
      say($("customer-error"), err.message);
    }
  }

  async function erase(c) {
    if (!window.confirm(w("erase_confirm", { name: c.name }))) return;
    try {
      await api("POST", `/customers/${c.id}/erase`, { json: { reason: "customer's request" } });
      if (customer && customer.id === c.id) C.show($("customer-edit"), false);
      findCustomers($("customer-q").value.trim());
    } catch (err) {
      say($("customer-error"), err.message);
    }
  }

  function showCustomer(c) {
    customer = c;
    $("customer-edit-title").textContent = c.name;
    $("customer-edit-points").textContent = w("points_worth", { points: c.points, value: `${fmt(c.points_value)} ${state.currency}` });
  }

  function editCustomer(c) {
    showCustomer(c);
    $("ce-name").value = c.name;
    $("ce-email").value = c.email || "";
    $("ce-phone").value = c.phone || "";
    // Whoever may not manage customers sees a card's last four only, and cannot change it.
    $("ce-card").value = c.loyalty_card || "";
    $("ce-card").disabled = (c.loyalty_card || "").startsWith("•");
    $("ce-consent").checked = c.consent;
    $("points-form").reset();
    say($("customer-edit-error"), "");
    say($("customer-edit-done"), "");
    C.show($("customer-edit"), true);
    $("customer-edit-title").focus();
  }

  $("customer-edit-close").addEventListener("click", () => {
    C.show($("customer-edit"), false);
    $("customer-q").focus();
  });

  $("details-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("customer-edit-error"), "");
    say($("customer-edit-done"), "");
    const wanted = {
      name: $("ce-name").value.trim(), email: $("ce-email").value.trim() || null,
      phone: $("ce-phone").value.trim() || null, consent: $("ce-consent").checked,
    };
    if (!$("ce-card").disabled) wanted.loyalty_card = $("ce-card").value.trim().toUpperCase() || null;
    const changes = {};
    for (const [key, value] of Object.entries(wanted)) if (value !== customer[key]) changes[key] = value;
    if (!Object.keys(changes).length) return say($("customer-edit-done"), w("nothing_changed"));
    try {
      showCustomer(await api("PATCH", `/customers/${customer.id}`, { json: changes }));
      say($("customer-edit-done"), w("details_saved"));
      findCustomers($("customer-q").value.trim());
    } catch (err) {
      say($("customer-edit-error"), err.message);
    }
  });

  $("points-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("customer-edit-error"), "");
    say($("customer-edit-done"), "");
    const points = parseWhole($("p-points").value, true);
    if (!points) {
      say($("customer-edit-error"), w("points_adjustment_whole"));
      $("p-points").focus();
      return;
    }
    try {
      const after = await api("POST", `/customers/${customer.id}/points`, {
        json: { points, reason: $("p-reason").value.trim() },
      });
      showCustomer(after);
      $("points-form").reset();
      say($("customer-edit-done"), w("points_adjusted", { change: signed(points), points: after.points, value: `${fmt(after.points_value)} ${state.currency}` }));
      findCustomers($("customer-q").value.trim());
    } catch (err) {
      say($("customer-edit-error"), err.message);
    }
  });

  $("customer-search").addEventListener("submit", (e) => { e.preventDefault(); findCustomers($("customer-q").value.trim()); });
  $("enrol-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("customer-error"), "");
    try {
      const made = await api("POST", "/customers", {
        json: {
          name: $("c-name").value.trim(), email: $("c-email").value.trim() || null,
          phone: $("c-phone").value.trim() || null, consent: $("c-consent").checked,
          loyalty_card: $("c-card").value.trim() || null,
        },
      });
      $("enrol-form").reset();
      $("customer-q").value = made.name;
      findCustomers(made.name);
    } catch (err) {
      say($("customer-error"), err.message);
    }
  });

  /* -- gift cards ------------------------------------------------------------------------------ */

  $("balance-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("gc-error"), "");
    say($("gc-result"), "");
    try {
      const card = await api("POST", "/gift-cards/balance", { json: { code: $("gc-code").value } });
      const expiry = card.expires_at ? " " + w("expires_on", { day: card.expires_at.slice(0, 10) }) : "";
      const status = card.expired ? w("card_expired") : CARD_STATES[card.status] ? w(CARD_STATES[card.status]).toLowerCase() : card.status;
      say($("gc-result"), `${card.code}: ${C.money(card.balance, card.currency)} (${status}).${expiry}`);
    } catch (err) {
      say($("gc-error"), err.message);
    }
  });

  const CARD_STATES = { pending: "card_pending", active: "active", void: "void" };
  const cardWord = (status) => (CARD_STATES[status] ? w(CARD_STATES[status]) : status);
  let voiding = null; // {card, back: what had the focus}

  async function loadCards() {
    say($("cards-error"), "");
    const status = $("cards-status").value;
    try {
      const found = await api("GET", "/gift-cards?" + new URLSearchParams(status ? { status } : {}));
      const body = $("cards-body");
      body.replaceChildren();
      for (const card of found.gift_cards) {
        body.append(el("tr", {}, el("td", { class: "mono" }, card.code), el("td", {}, card.expired && card.status === "active" ? w("card_expired_title") : cardWord(card.status)),
          el("td", { class: "num" }, C.formatAmount(card.balance, card.currency)), el("td", { class: "nowrap" }, when(card.activated_at)),
          el("td", { class: "nowrap" }, when(card.expires_at)),
          el("td", {}, card.status === "void" ? "" : rowButton(w("void_verb"), w("card_code", { code: card.code }), () => askVoid(card), "danger"))));
      }
      if (!found.gift_cards.length) body.append(el("tr", {}, el("td", { colspan: "6" }, w("no_gift_card"))));
      $("cards-caption").textContent = status ? w("cards_of_status", { status: cardWord(status) }) : w("cards_all");
    } catch (err) {
      say($("cards-error"), err.message);
    }
  }

  function askVoid(card) {
    voiding = { card, back: document.activeElement };
    $("void-card").textContent = w("card_balance", { code: card.code, balance: C.money(card.balance, card.currency) });
    $("void-reason").value = "";
    say($("void-error"), "");
    C.openDialog($("void-dialog"), $("void-reason"));
  }

  $("void-dialog").addEventListener("close", () => {
    const back = voiding && voiding.back;
    voiding = null;
    if (back && back.isConnected) back.focus();
    else $("cards-title").focus();
  });
  $("void-keep").addEventListener("click", () => C.closeDialog($("void-dialog")));
  $("void-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!voiding) return;
    say($("void-error"), "");
    const card = voiding.card;
    try {
      await api("POST", `/gift-cards/${card.id}/void`, { json: { reason: $("void-reason").value.trim() } });
      voiding.back = $("cards-title"); // its row and button are about to go
      C.closeDialog($("void-dialog"));
      say($("cards-done"), w("card_voided", { code: card.code, balance: C.money(card.balance, card.currency) }));
      await loadCards();
    } catch (err) {
      say($("void-error"), err.message);
    }
  });
  $("cards-filter").addEventListener("submit", (e) => { e.preventDefault(); say($("cards-done"), ""); loadCards(); });

  /* -- reports ---------------------------------------------------------------------------------- */

  function reportQuery(format) {
    const q = { from: $("r-from").value, to: $("r-to").value };
    if (format) q.format = format;
    return `/reports/${$("r-name").value}?` + new URLSearchParams(q);
  }

  function refreshCsvLink() {
    $("r-csv").setAttribute("href", "/api/v1" + reportQuery("csv"));
  }

  /** A report's table: the columns' names for people, numbers right-aligned under their
   * heads, money in the currency. */
  function reportTable(report) {
    const numeric = report.columns.map((c) => report.rows.some((r) => typeof r[c] === "number"));
    // Times come on the store's clock with their offset: shown as the shop reads them.
    const wall = (v) => (typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v) ? v.slice(0, 16).replace("T", " ") : String(v));
    const cell = (c, v) => (v === null || v === undefined ? "" : MONEY.has(c) && typeof v === "number" ? fmt(v) : wall(v));
    $("report-head").replaceChildren(...report.columns.map((c, i) => el("th", { scope: "col", class: numeric[i] ? "num" : null },
      (report.labels && report.labels[c]) || c.replace(/_/g, " "))));
    const body = $("report-body");
    body.replaceChildren();
    for (const row of report.rows) {
      body.append(el("tr", {}, ...report.columns.map((c, i) => el("td", { class: numeric[i] ? "num" : null }, cell(c, row[c])))));
    }
    if (!report.rows.length) body.append(el("tr", {}, el("td", { colspan: String(report.columns.length) }, w("nothing_in_this_period"))));
    const notes = [];
    if (report.gift_cards_sold) notes.push(w("gift_cards_sold_note", { amount: fmt(report.gift_cards_sold) }));
    say($("report-note"), notes.join(" "));
  }

  /** The chart of a report that has one, above its table. */
  function reportChart(report) {
    ReportCharts.clear("report-canvas");
    const spec = ReportCharts.forReport(report);
    const box = $("report-chart");
    if (!spec || !report.rows.length) {
      box.replaceChildren();
      return;
    }
    spec.exponent = C.exponent(report.currency || state.currency);
    box.replaceChildren(ReportCharts.figure(el, "report-canvas", spec, w("below")));
    ReportCharts.draw("report-canvas", spec, fmt);
  }

  $("report-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("report-error"), "");
    try {
      const report = await api("GET", reportQuery(null));
      $("report-caption").textContent = w("report_caption", {
        report: $("r-name").selectedOptions[0].textContent, from: $("r-from").value, to: $("r-to").value, zone: report.timezone });
      reportTable(report);
      reportChart(report);
    } catch (err) {
      say($("report-error"), err.message);
    }
  });

  /* -- past Z reports: find one, read it again, print it again ---------------------------------- */

  const Z_ROWS = [
    ["completed_sales", (z) => String(z.sales.count)], ["sales_total_net", (z) => fmt(z.sales.total)],
    ["tax", (z) => fmt(z.sales.tax)], ["discounts", (z) => fmt(z.sales.discount)],
    ["gift_cards_sold_liability", (z) => (z.gift_cards ? `${z.gift_cards.count} · ${fmt(z.gift_cards.amount)}` : "—")],
    ["refunds", (z) => `${z.refunds.count} · ${fmt(z.refunds.amount)}`], ["voided_lines", (z) => String(z.voids)],
  ];

  async function showZ(shift) {
    say($("z-error"), "");
    try {
      const z = await api("GET", `/shifts/${shift}/z-report`);
      const view = $("z-view");
      const span = z.opened_local
        ? w("z_span", { from: z.opened_local, to: z.until_local, zone: z.timezone }) : w("shift_n", { shift: z.shift });
      const row = (label, value) => el("tr", {}, el("th", { scope: "row" }, label), el("td", { class: "num" }, value));
      view.replaceChildren(
        el("h2", { id: "z-title", tabindex: "-1" }, w("z_reprint_title", { shift: z.shift, till: z.terminal_id })),
        el("p", { class: "hint" }, w("z_copy_hint", { span })),
        el("table", { class: "data" },
          el("caption", {}, w("figures")),
          el("thead", {}, el("tr", {}, el("th", { scope: "col" }, w("line")), el("th", { scope: "col", class: "num" }, w("amount")))),
          el("tbody", {},
            ...Z_ROWS.map(([label, value]) => row(w(label), value(z))),
            ...z.tenders.map((t) => row(`${ReportCharts.tenderName(t.method)} (${t.count})`, fmt(t.amount))),
            row(w("counted"), fmt(z.counted)), row(w("expected"), fmt(z.cash.expected)), row(w("variance"), fmt(z.variance)))),
        el("div", { class: "row" }, el("button", { type: "button", class: "primary", onclick: () => printZ(z.shift) }, w("print_again"))));
      view.hidden = false;
      $("z-title").focus();
    } catch (err) {
      say($("z-error"), err.message);
    }
  }

  async function printZ(shift) {
    say($("z-error"), "");
    say($("z-done"), "");
    try {
      const job = await api("POST", `/shifts/${shift}/z-report/print`);
      say($("z-done"), job.reprint ? w("sent_to_printer_reprint") : w("sent_to_printer"));
    } catch (err) {
      say($("z-error"), err.message);
    }
  }

  $("z-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("z-error"), "");
    try {
      const found = await api("GET", "/shifts/z-reports?" + new URLSearchParams({ from: $("z-from").value, to: $("z-to").value }));
      const body = $("z-body");
      body.replaceChildren(...found.rows.map((z) => el("tr", {},
        el("td", { class: "num" }, String(z.shift)), el("td", {}, z.terminal_id), el("td", {}, z.operator),
        el("td", {}, z.opened_at.slice(0, 16).replace("T", " ")), el("td", {}, z.closed_at.slice(0, 16).replace("T", " ")),
        el("td", { class: "num" }, String(z.sales)), el("td", { class: "num" }, fmt(z.total)), el("td", { class: "num" }, fmt(z.variance)),
        el("td", {}, el("button", { type: "button", onclick: () => showZ(z.shift), "aria-label": w("show_z_of_shift", { shift: z.shift }) }, w("show"))))));
      if (!found.rows.length) body.append(el("tr", {}, el("td", { colspan: "9" }, w("no_shift_closed"))));
      $("z-caption").textContent = w("z_caption", { from: found.from.slice(0, 10), to: found.to.slice(0, 10), zone: found.timezone });
    } catch (err) {
      say($("z-error"), err.message);
    }
  });

  /** The report forms' days on the store's calendar (this browser's may be another's):
   * this month so far. */
  function reportDays(timezone) {
    let today;
    try {
      today = new Intl.DateTimeFormat("en-CA", { timeZone: timezone }).format(new Date());
    } catch (e) {
      return; // a zone this browser does not know: keep its own days
    }
    for (const [from, to] of [["r-from", "r-to"], ["z-from", "z-to"]]) {
      $(to).value = today;
      $(from).value = today.slice(0, 8) + "01";
    }
    refreshCsvLink();
  }

  /** The report menu in the person's language, the chosen report kept. */
  function reportNames() {
    const kept = $("r-name").value;
    $("r-name").replaceChildren(...REPORTS.map(([v, words]) => el("option", { value: v }, w(words))));
    if (kept) $("r-name").value = kept;
  }

  function setUpReports() {
    reportNames();
    const today = new Date();
    const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    $("r-to").value = iso(today);
    $("r-from").value = iso(new Date(today.getFullYear(), today.getMonth(), 1));
    $("z-to").value = iso(today);
    $("z-from").value = iso(new Date(today.getFullYear(), today.getMonth(), 1));
    for (const id of ["r-name", "r-from", "r-to"]) $(id).addEventListener("change", refreshCsvLink);
    refreshCsvLink();
  }

  /* -- the till's item buttons ------------------------------------------------------------------ */

  const grid = { tabs: [], tab: 0, categories: [] };

  function move(list, i, step) {
    const j = i + step;
    if (j < 0 || j >= list.length) return false;
    [list[i], list[j]] = [list[j], list[i]];
    return true;
  }

  /** One row of an ordered list: its words, then Up, Down and Remove, named for the row. */
  function orderedRow(words, whose, list, i, redraw, extra) {
    const again = (focusWhat) => () => {
      redraw();
      const target = document.querySelector(`[aria-label="${focusWhat} ${CSS.escape(whose)}"]`);
      if (target && !target.disabled) target.focus();
    };
    const up = rowButton(w("up"), whose, () => { if (move(list, i, -1)) again(w("up"))(); });
    const down = rowButton(w("down"), whose, () => { if (move(list, i, 1)) again(w("down"))(); });
    const remove = rowButton(w("remove"), whose, () => { list.splice(i, 1); redraw(); }, "danger");
    up.disabled = i === 0;
    down.disabled = i === list.length - 1;
    return el("li", { class: "grid-row" }, el("span", { class: "grid-words" }, ...words), extra || null, up, down, remove);
  }

  function drawTabs() {
    const list = $("grid-tabs");
    list.replaceChildren(...grid.tabs.map((t, i) => {
      const choose = el("button", {
        type: "button", "aria-pressed": i === grid.tab ? "true" : "false",
        "aria-label": w("show_buttons_of", { category: t.category }),
        onclick: () => { grid.tab = i; drawTabs(); $("grid-products-title").focus(); },
      }, w("buttons"));
      return orderedRow([el("strong", {}, t.category), ` (${t.products.length})`], t.category, grid.tabs, i, drawTabs, choose);
    }));
    C.show($("grid-tabs-empty"), !grid.tabs.length);
    const taken = new Set(grid.tabs.map((t) => t.category.toLowerCase()));
    const free = grid.categories.filter((c) => !taken.has(c.name.toLowerCase()));
    $("grid-tab-category").replaceChildren(...free.map((c) => el("option", { value: c.name }, c.name)));
    $("grid-tab-form").querySelector("button").disabled = !free.length;
    grid.tab = Math.min(grid.tab, grid.tabs.length - 1);
    drawProducts();
  }

  function drawProducts() {
    const tab = grid.tabs[grid.tab];
    C.show($("grid-products-card"), !!tab);
    if (!tab) return;
    $("grid-products-title").textContent = w("buttons_on", { category: tab.category });
    $("grid-products").replaceChildren(...tab.products.map((p, i) => orderedRow(
      [p.name, " ", el("span", { class: "hint" }, p.active ? fmt(p.price) : w("withdrawn_not_shown"))],
      p.name, tab.products, i, drawTabs)));
    C.show($("grid-products-empty"), !tab.products.length);
  }

  async function loadGrid() {
    say($("grid-error"), "");
    say($("grid-done"), "");
    try {
      const [layout, categories] = await Promise.all([api("GET", "/item-grid?withdrawn=true"), api("GET", "/categories")]);
      grid.tabs = layout.tabs.map((t) => ({ category: t.category, products: t.products }));
      grid.categories = categories.categories;
      grid.tab = 0;
    } catch (err) {
      say($("grid-error"), err.message);
    }
    drawTabs();
  }

  $("grid-tab-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("grid-tab-category").value;
    if (!name) return;
    grid.tabs.push({ category: name, products: [] });
    grid.tab = grid.tabs.length - 1;
    drawTabs();
    $("grid-products-title").focus();
  });

  $("grid-find-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = $("grid-find-q").value.trim();
    const found = $("grid-found");
    found.replaceChildren();
    if (q.length < 3) {
      $("grid-find-note").textContent = w("type_three_letters");
      return;
    }
    try {
      const answer = await api("GET", "/products?" + new URLSearchParams({ q, limit: "12" }));
      const tab = grid.tabs[grid.tab];
      found.replaceChildren(...answer.products.map((p) => {
        const on = tab.products.some((b) => b.sku === p.sku);
        const add = rowButton(on ? w("on_the_tab") : w("add"), p.name, () => {
          tab.products.push({ sku: p.sku, name: p.name, price: p.price, sold_by: p.sold_by, active: true });
          drawTabs();
          add.disabled = true;
          add.textContent = w("on_the_tab");
          $("grid-find-note").textContent = w("added_to_tab", { name: p.name, category: tab.category });
        });
        add.disabled = on;
        return el("li", { class: "grid-row" }, el("span", { class: "grid-words" }, p.name, " ",
          el("span", { class: "hint" }, `${p.sku} · ${fmt(p.price)}${p.sold_by === "weight" ? "/kg" : ""}`)), add);
      }));
      $("grid-find-note").textContent = answer.products.length
        ? w("n_found", { count: answer.products.length }) : w("no_product_on_sale_matches", { q });
    } catch (err) {
      $("grid-find-note").textContent = err.message;
    }
  });

  $("grid-save").addEventListener("click", async () => {
    say($("grid-error"), "");
    say($("grid-done"), "");
    const json = { tabs: grid.tabs.map((t) => ({ category: t.category, products: t.products.map((p) => p.sku) })) };
    try {
      const saved = await api("PUT", "/item-grid", { json });
      grid.tabs = saved.tabs.map((t) => ({ category: t.category, products: t.products }));
      drawTabs();
      say($("grid-done"), w("grid_saved"));
    } catch (err) {
      say($("grid-error"), err.message);
    }
  });

  /* -- start ------------------------------------------------------------------------------------ */

  setUpReports();
  countLines.reset();
  poLines.reset();
  Office.register({
    loaders: {
      clock: loadClock,
      stock: () => loadStock(""),
      movements: () => loadMovements(""),
      suppliers: loadSuppliers,
      orders: () => { loadSuppliers(); loadOrders(); },
      // Only who manages customers lists them all; others search (three characters at least).
      customers: () => (can("manage_customers") ? findCustomers("") : say($("customer-error"), "")),
      giftcards: () => { if (can("manage_gift_cards")) loadCards(); },
      itemgrid: loadGrid,
    },
    onReady(me, settings) {
      state.me = me;
      state.currency = settings.currency;
      // What was written before the words arrived (the line editors, the report menu) says them now.
      reportNames();
      countLines.words();
      poLines.words();
      for (const node of document.querySelectorAll(".currency")) node.textContent = settings.currency;
      if (settings.timezone) reportDays(settings.timezone);
      state.suppliersLoaded = false;
    },
    // A change of language: what is drawn from what the screen holds is drawn again (an
    // arrangement of buttons not saved yet stays); the rest reads afresh from the API.
    redraw: { itemgrid: drawTabs, clock: () => { if (clockShown) showClock(clockShown); } },
    onLanguage() {
      reportNames();
      // A report or a list of Z reports on screen is asked for again, in the new language.
      if ($("report-body").rows.length) $("report-form").requestSubmit();
      if ($("z-body").rows.length) $("z-form").requestSubmit();
      countLines.words();
      poLines.words();
      if (order && !$("order-view").hidden) showOrder(order, false);
    },
    onLoggedOut() {
      state.me = null;
    },
  });
})();
