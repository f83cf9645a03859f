/* The till: scan, quantities, voids, discounts and price overrides (with a supervisor's
 * approval when the role's own rights stop), cash and card tenders (split as needed), park
 * and resume, returns found by the receipt number, printer and network status.
 *
 * The barcode field keeps the focus: a keyboard-wedge scanner types digits then Enter, so
 * any printable key typed while no field or dialog has the focus goes into it. Scans are
 * queued and sent one at a time, because each answer is the whole sale.
 */
"use strict";

(() => {
  const C = Comptoir;
  const { $, api, el, say } = C;
  const SALE_KEY = "comptoir.sale";
  const RECEIPT_NUMBER = /^[A-Za-z0-9_]{1,16}-\d{6}$/;
  const DECLINES = {
    do_not_honor: "the bank refused it (do not honour); ask for another card",
    insufficient_funds: "not enough funds on the card; ask for another card or less on it",
    expired_card: "the card has expired",
    invalid_card: "the card number is not valid",
  };

  const state = {
    me: null,
    currency: "CAD",
    sale: null, // the sale as the API last returned it
    selected: null, // a line number
    done: false, // the sale completed; the receipt is on screen
    queue: [],
    scanning: false,
    busy: false,
    tender: null, // {amount, key}: reused if the same tender is retried after a failure
    voidApproval: false,
    discountFor: null, // {line} or {order: true}
    refundSale: null, // the sale being returned
    refundKey: null, // Idempotency-Key of the refund on screen
  };

  /* -- formatting -------------------------------------------------------------------- */

  const fmt = (minor) => C.formatAmount(minor, state.currency);

  function liveLines(sale) {
    return sale ? sale.lines.filter((l) => !l.voided) : [];
  }

  function selectedLine() {
    if (!state.sale || state.selected === null) return null;
    return state.sale.lines.find((l) => l.line === state.selected) || null;
  }

  /* -- the sale on screen ------------------------------------------------------------ */

  function lineDetails(line) {
    const bits = [];
    if (line.measure) bits.push(line.measure);
    if (line.original_price !== null && line.original_price !== undefined && line.original_price !== line.unit_price) {
      bits.push(`Price changed from ${fmt(line.original_price)}`);
    }
    if (line.promotion) bits.push(`Offer: ${line.promotion}`);
    const own = line.line_discount;
    if (own) {
      const what = own.kind === "percent" ? `${C.formatPercent(own.value)} %` : fmt(own.value);
      bits.push(`Discount ${what}` + (own.reason ? ` (${own.reason})` : ""));
    }
    if (line.discount > 0 && !line.voided) bits.push(`−${fmt(line.discount)} off`);
    if (line.refunded_quantity) bits.push(`${line.refunded_quantity} returned`);
    return bits.length ? el("span", { class: "line-notes" }, bits.join(" · ")) : null;
  }

  function render() {
    const sale = state.sale;
    const body = $("lines-body");
    body.replaceChildren();
    const lines = sale ? sale.lines : [];
    for (const line of lines) {
      const chosen = line.line === state.selected;
      const name = el("button", {
        type: "button",
        class: "line-pick",
        "aria-pressed": chosen ? "true" : "false",
        "data-line": String(line.line),
      }, el("span", { class: "name" }, line.name), line.voided ? el("span", { class: "badge" }, "voided") : null);
      const discounted = !line.voided && line.discount > 0;
      const row = el("tr", {
        class: (chosen ? "selected " : "") + (line.voided ? "voided" : ""),
        "data-line": String(line.line),
      },
      el("td", { class: "num" }, String(line.line)),
      el("td", { class: "item" }, name, el("span", { class: "sku" }, line.sku), lineDetails(line)),
      el("td", { class: "num qty" }, String(line.quantity)),
      el("td", { class: "num" }, fmt(line.unit_price)),
      el("td", { class: "num amount" }, discounted ? fmt(line.net) : fmt(line.amount),
        discounted ? el("span", { class: "was" }, el("span", { class: "sr-only" }, "before discount "), fmt(line.amount)) : null));
      body.append(row);
    }
    C.show($("lines"), lines.length > 0);
    C.show($("lines-empty"), lines.length === 0 && !state.done);
    const picked = body.querySelector("tr.selected");
    if (picked) picked.scrollIntoView({ block: "nearest" });

    // Totals
    const totals = sale ? sale.totals : { subtotal: 0, discount: 0, tax: 0, total: 0, paid: 0, due: 0 };
    $("t-subtotal").textContent = fmt(totals.subtotal);
    const off = totals.discount || 0;
    $("t-discount").textContent = "−" + fmt(off);
    $("t-discount-label").textContent = sale && sale.order_discount ? "Discounts (incl. sale)" : "Discounts";
    C.show($("t-discount-row"), off > 0);
    for (const old of document.querySelectorAll("#totals .tax-row")) old.remove();
    const anchor = $("t-total-row");
    for (const tax of sale ? sale.taxes : []) {
      anchor.before(el("div", { class: "tax-row" },
        el("dt", {}, `${tax.name} ${tax.rate}%`), el("dd", {}, fmt(tax.amount))));
    }
    $("t-total").textContent = fmt(totals.total);
    $("t-paid").textContent = fmt(totals.paid);
    C.show($("t-paid-row"), totals.paid > 0);
    $("t-due").textContent = fmt(totals.due);

    // What can be done now
    const open = sale && sale.status === "open";
    const line = selectedLine();
    const live = liveLines(sale).length > 0;
    const editable = open && line && !line.voided && totals.paid === 0;
    $("pay-button").disabled = !(open && live && totals.due > 0);
    $("card-button").disabled = !(open && live && totals.due > 0 && state.cards);
    $("qty-button").disabled = !editable || !!line.measure;
    $("void-button").disabled = !editable;
    $("discount-button").disabled = !editable;
    $("price-button").disabled = !editable || !!line.measure;
    $("order-discount-button").disabled = !(open && live && totals.paid === 0) || state.done;
    $("park-button").disabled = !(open && live && totals.paid === 0);
    $("cancel-sale-button").disabled = !(open && totals.paid === 0 && sale.lines.length > 0);
    C.show($("sale-actions"), !state.done);
    C.show($("done-actions"), state.done);
    C.show($("done-view"), state.done);
    C.show($("lines-box"), !state.done);
  }

  function setSale(sale, { select } = {}) {
    state.sale = sale;
    try {
      if (sale && sale.status === "open") sessionStorage.setItem(SALE_KEY, String(sale.id));
      else sessionStorage.removeItem(SALE_KEY);
    } catch (e) {
      /* no storage: a reload starts a fresh sale */
    }
    if (select !== undefined) state.selected = select;
    if (state.selected !== null && !sale.lines.some((l) => l.line === state.selected)) state.selected = null;
    render();
  }

  function announce(text) {
    $("sale-status").textContent = text;
  }

  function showError(message) {
    say($("sale-error"), message);
    const input = $("scan-input");
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function focusScan() {
    if (document.querySelector("dialog[open]")) return;
    if ($("app-view").hidden) return;
    $("scan-input").focus();
  }

  /* -- scanning --------------------------------------------------------------------- */

  async function ensureSale() {
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

  async function runQueue() {
    if (state.scanning) return;
    state.scanning = true;
    try {
      while (state.queue.length) {
        const text = state.queue.shift();
        await addItem(text);
      }
    } finally {
      state.scanning = false;
    }
  }

  async function addItem(text) {
    const { quantity, code } = parseScan(text);
    try {
      const sale = await ensureSale();
      const known = new Set(sale.lines.map((l) => l.line + ":" + l.quantity));
      const body = /^\d+$/.test(code) ? { barcode: code } : { sku: code };
      if (quantity !== 1) body.quantity = quantity;
      let answer;
      try {
        answer = await api("POST", `/sales/${sale.id}/items`, { json: body });
      } catch (err) {
        // A numeric SKU that is not a barcode: try it as a SKU before giving up.
        if (err.code === "unknown_barcode") {
          answer = await api("POST", `/sales/${sale.id}/items`, { json: { ...body, barcode: undefined, sku: code } })
            .catch(() => { throw err; });
        } else {
          throw err;
        }
      }
      const changed = answer.lines.filter((l) => !l.voided && !known.has(l.line + ":" + l.quantity));
      const line = changed.length ? changed[changed.length - 1] : null;
      showError("");
      setSale(answer, { select: line ? line.line : state.selected });
      if (line) announce(`${line.name}, quantity ${line.quantity}. Total ${fmt(answer.totals.total)}.`);
    } catch (err) {
      showError(err.message);
      if (err.status === 409 && state.sale) await reload();
    }
  }

  async function reload() {
    if (!state.sale) return;
    try {
      setSale(await api("GET", `/sales/${state.sale.id}`));
    } catch (e) {
      /* keep what is on screen */
    }
  }

  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("scan-input");
    const text = input.value.trim();
    input.value = "";
    if (!text) {
      if (state.done) newSale(); // Enter on the receipt screen starts the next sale
      return;
    }
    if (RECEIPT_NUMBER.test(text) && !state.scanning && !state.queue.length) {
      openRefund(text.toUpperCase()); // a receipt's barcode scanned at the till: a return
      return;
    }
    if (state.done) newSale({ keepFocus: true });
    state.queue.push(text);
    runQueue();
  });

  /* -- selecting a line ---------------------------------------------------------------- */

  $("lines-body").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-line]");
    if (!row) return;
    state.selected = Number(row.dataset.line);
    render();
    focusScan();
  });

  function moveSelection(step) {
    if (!state.sale || !state.sale.lines.length) return;
    const numbers = state.sale.lines.map((l) => l.line);
    let i = numbers.indexOf(state.selected);
    i = i < 0 ? (step > 0 ? 0 : numbers.length - 1) : Math.min(Math.max(i + step, 0), numbers.length - 1);
    state.selected = numbers[i];
    render();
  }

  /* -- keypads ------------------------------------------------------------------------ */

  function buildKeypad(pad) {
    const target = $(pad.dataset.target);
    const decimal = pad.dataset.keys === "decimal";
    const keys = ["7", "8", "9", "4", "5", "6", "1", "2", "3",
      decimal ? "." : "clear", "0", "back"];
    if (decimal) keys.push("clear", "00");
    const labels = { back: ["⌫", "Delete last digit"], clear: ["C", "Clear"] };
    for (const key of keys) {
      const [text, label] = labels[key] || [key, null];
      const button = el("button", {
        type: "button",
        class: "key" + (key === "clear" && decimal ? " key-wide" : ""),
        "aria-label": label,
        "data-key": key,
      }, text);
      button.addEventListener("mousedown", (e) => e.preventDefault()); // the field keeps the focus
      button.addEventListener("click", () => {
        if (key === "back") target.value = target.value.slice(0, -1);
        else if (key === "clear") target.value = "";
        else if (key === "." && (target.value.includes(".") || C.exponent(state.currency) === 0)) return;
        else if (target.value.length < (Number(target.getAttribute("maxlength")) || 12)) target.value += key;
        target.dispatchEvent(new Event("input", { bubbles: true }));
        target.focus();
      });
      pad.append(button);
    }
  }
  for (const pad of document.querySelectorAll(".keypad")) buildKeypad(pad);

  /* -- dialogs ------------------------------------------------------------------------- */

  for (const button of document.querySelectorAll(".close-dialog")) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", () => {
      for (const alert of dialog.querySelectorAll("[role=alert], [role=status]")) say(alert, "");
      for (const secret of dialog.querySelectorAll("input[type=password]")) secret.value = "";
      setTimeout(focusScan, 0);
    });
  }

  // Quantity
  function openQuantity() {
    const line = selectedLine();
    if ($("qty-button").disabled || !line) return;
    $("qty-item").textContent = `${line.name} — now ${line.quantity}`;
    $("qty-input").value = "";
    C.openDialog($("qty-dialog"), $("qty-input"));
  }

  $("qty-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const line = selectedLine();
    const text = $("qty-input").value.trim();
    if (!/^\d{1,5}$/.test(text)) {
      say($("qty-error"), "Type the quantity as a whole number.");
      return;
    }
    if (state.busy || !line) return;
    state.busy = true;
    try {
      const sale = await api("PATCH", `/sales/${state.sale.id}/items/${line.line}`, {
        json: { quantity: Number(text) },
      });
      setSale(sale);
      announce(`${line.name}, quantity ${text}. Total ${fmt(sale.totals.total)}.`);
      C.closeDialog($("qty-dialog"));
    } catch (err) {
      say($("qty-error"), err.message);
    } finally {
      state.busy = false;
    }
  });

  // Void
  function openVoid() {
    const line = selectedLine();
    if ($("void-button").disabled || !line) return;
    state.voidApproval = false;
    C.show($("approval-fields"), false);
    $("void-title").textContent = "Void this line?";
    $("void-confirm").textContent = "Void line";
    $("void-item").textContent = `Line ${line.line}: ${line.name} × ${line.quantity} = ${fmt(line.amount)}`;
    $("approval-username").value = "";
    $("approval-password").value = "";
    C.openDialog($("void-dialog"), $("void-confirm"));
    if (state.me && !state.me.permissions.includes("void_line")) {
      askApproval(`The ${state.me.role} role may not void lines; a supervisor can approve it.`);
    }
  }

  function askApproval(why) {
    state.voidApproval = true;
    $("void-title").textContent = "Supervisor approval needed";
    $("approval-why").textContent = why;
    $("void-confirm").textContent = "Approve and void";
    C.show($("approval-fields"), true);
    $("approval-username").focus();
  }

  $("void-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const line = selectedLine();
    if (state.busy || !line) return;
    state.busy = true;
    say($("void-error"), "");
    try {
      const headers = {};
      if (state.voidApproval) {
        const username = $("approval-username").value.trim();
        const password = $("approval-password").value;
        if (!username || !password) {
          say($("void-error"), "A supervisor must type their user name and password.");
          return;
        }
        const granted = await api("POST", "/auth/approve", {
          json: { username, password, permission: "void_line" },
        });
        $("approval-password").value = "";
        headers["X-Approval"] = granted.approval;
      }
      const sale = await api("DELETE", `/sales/${state.sale.id}/items/${line.line}`, { headers });
      setSale(sale);
      announce(`Line ${line.line} voided. Total ${fmt(sale.totals.total)}.`);
      C.closeDialog($("void-dialog"));
    } catch (err) {
      if (err.status === 403 && err.code === "forbidden" && !state.voidApproval) {
        askApproval(err.message);
      } else {
        $("approval-password").value = "";
        say($("void-error"), err.message);
        if (state.voidApproval) $("approval-password").focus();
      }
    } finally {
      state.busy = false;
    }
  });

  // Cancel the sale
  function openCancel() {
    if ($("cancel-sale-button").disabled) return;
    C.openDialog($("cancel-dialog"));
  }

  $("cancel-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    state.busy = true;
    try {
      await api("POST", `/sales/${state.sale.id}/cancel`, { json: {} });
      C.closeDialog($("cancel-dialog"));
      newSale();
      announce("Sale cancelled.");
    } catch (err) {
      say($("cancel-error"), err.message);
    } finally {
      state.busy = false;
    }
  });

  /* -- cash ------------------------------------------------------------------------- */

  /** Exact, then the next round amounts a customer is likely to hand over. */
  function quickAmounts(due) {
    const exp = C.exponent(state.currency);
    const unit = 10 ** exp;
    const steps = exp === 0 ? [100, 500, 1000, 2000, 5000, 10000] : [1, 5, 10, 20, 50, 100].map((s) => s * unit);
    const out = [];
    for (const step of steps) {
      const next = Math.ceil(due / step) * step;
      if (next > due && !out.includes(next)) out.push(next);
    }
    return out.sort((a, b) => a - b).slice(0, 4);
  }

  function openPay() {
    if ($("pay-button").disabled) return;
    const due = state.sale.totals.due;
    $("pay-due").textContent = C.money(due, state.currency);
    $("pay-input").value = "";
    const quick = $("quick-cash");
    quick.replaceChildren();
    const addQuick = (amount, label) => {
      const button = el("button", { type: "button", class: "quick", "data-amount": String(amount) },
        label ? el("span", { class: "quick-label" }, label + " ") : null,
        el("span", {}, fmt(amount), el("span", { class: "sr-only" }, " " + state.currency)));
      button.addEventListener("click", () => tender(amount));
      quick.append(button);
    };
    addQuick(due, "Exact");
    for (const amount of quickAmounts(due)) addQuick(amount);
    C.openDialog($("pay-dialog"), $("pay-input"));
  }

  $("pay-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("pay-input").value.trim();
    if (!text) {
      say($("pay-error"), "Type the cash received, or tap a quick-cash amount.");
      return;
    }
    const amount = C.parseAmount(text, state.currency);
    if (amount === null || amount <= 0) {
      say($("pay-error"), `“${text}” is not an amount in ${state.currency}.`);
      return;
    }
    tender(amount);
  });

  async function tender(amount) {
    if (state.busy) return; // a double tap pays once
    state.busy = true;
    say($("pay-error"), "");
    for (const b of $("pay-dialog").querySelectorAll("button")) b.disabled = true;
    // One key per tender attempt; a retry of the same amount after a failure reuses it.
    if (!state.tender || state.tender.amount !== amount || state.tender.sale !== state.sale.id || state.tender.method !== "cash") {
      state.tender = { amount, sale: state.sale.id, method: "cash", key: C.uuid() };
    }
    try {
      const sale = await api("POST", `/sales/${state.sale.id}/payments`, {
        json: { method: "cash", amount },
        headers: { "Idempotency-Key": state.tender.key },
      });
      state.tender = null;
      if (sale.status === "completed") {
        C.closeDialog($("pay-dialog"));
        await completed(sale);
      } else {
        setSale(sale);
        $("pay-due").textContent = C.money(sale.totals.due, state.currency);
        $("pay-input").value = "";
        say($("pay-error"), `${fmt(amount)} taken; ${C.money(sale.totals.due, state.currency)} still due.`);
        $("pay-input").focus();
      }
    } catch (err) {
      if (err.status && err.status !== 0) state.tender = null; // a real answer: the next try is new
      say($("pay-error"), err.message);
      if (err.code === "sale_paid") await reload();
    } finally {
      state.busy = false;
      for (const b of $("pay-dialog").querySelectorAll("button")) b.disabled = false;
    }
  }

  async function completed(sale) {
    state.done = true;
    state.selected = null;
    setSale(sale);
    $("change-amount").textContent = fmt(sale.change);
    $("change-currency").textContent = state.currency;
    const byMethod = new Map();
    for (const p of sale.payments) byMethod.set(p.method, (byMethod.get(p.method) || 0) + p.tendered);
    const names = { cash: "Cash received", card: "Card", gift_card: "Gift card", loyalty: "Points" };
    const parts = Array.from(byMethod, ([m, v]) => `${names[m] || m} ${fmt(v)}`);
    $("change-note").textContent = [...parts, `Total ${fmt(sale.totals.total)}`].join(" · ");
    C.show($("change-box"), true);
    $("receipt-number").textContent = sale.receipt_number || "";
    $("receipt-text").textContent = "Loading the receipt…";
    announce(`Sale complete. Change ${C.money(sale.change, state.currency)}.`);
    $("new-sale-button").focus();
    try {
      $("receipt-text").textContent = await api("GET", `/sales/${sale.id}/receipt?format=text`, { text: true });
    } catch (err) {
      $("receipt-text").textContent = "";
      showError("The sale is complete but the receipt could not be shown: " + err.message);
    }
  }

  function newSale({ keepFocus } = {}) {
    state.sale = null;
    state.selected = null;
    state.done = false;
    state.tender = null;
    try {
      sessionStorage.removeItem(SALE_KEY);
    } catch (e) {
      /* nothing kept */
    }
    C.show($("change-box"), false);
    $("receipt-text").textContent = "";
    showError("");
    render();
    if (!keepFocus) focusScan();
  }


  /* -- supervisor approval inside a dialog ------------------------------------------------ */

  /** The approval fieldset of a dialog (ids PREFIX-approval…): shown when the API says the
   * cashier's role stops here; its answer is an X-Approval for one permission. */
  function approvalBox(prefix) {
    const box = $(`${prefix}-approval`);
    return {
      get asked() {
        return !box.hidden;
      },
      reset() {
        C.show(box, false);
        $(`${prefix}-approval-username`).value = "";
        $(`${prefix}-approval-password`).value = "";
      },
      ask(why) {
        $(`${prefix}-approval-why`).textContent = why;
        C.show(box, true);
        $(`${prefix}-approval-username`).focus();
      },
      /** Resolves with {X-Approval} headers, or {} when no approval was asked for. */
      async headers(permission) {
        if (box.hidden) return {};
        const username = $(`${prefix}-approval-username`).value.trim();
        const password = $(`${prefix}-approval-password`).value;
        if (!username || !password) {
          throw new C.ApiError(0, "approval_missing", "A supervisor must type their user name and password.");
        }
        try {
          const granted = await api("POST", "/auth/approve", { json: { username, password, permission } });
          return { "X-Approval": granted.approval };
        } finally {
          $(`${prefix}-approval-password`).value = "";
        }
      },
      focusPassword() {
        $(`${prefix}-approval-password`).focus();
      },
    };
  }

  /** Runs `act(headers)`; a 403 the supervisor can lift shows the approval fields (the
   * cashier then submits again). Returns the answer, or null after showing the error. */
  async function withApproval(box, permission, errorNode, act, needsApproval) {
    try {
      return await act(await box.headers(permission));
    } catch (err) {
      if (err.status === 403 && !box.asked && needsApproval(err)) {
        say(errorNode, "");
        box.ask(err.message);
      } else {
        say(errorNode, err.message);
        if (box.asked) box.focusPassword();
      }
      return null;
    }
  }

  /* -- discounts ----------------------------------------------------------------------- */

  const discountApproval = approvalBox("discount");

  function openDiscount(order) {
    const sale = state.sale;
    if (state.done || !sale) return;
    const line = selectedLine();
    if (order ? $("order-discount-button").disabled : $("discount-button").disabled || !line) return;
    state.discountFor = order ? { order: true } : { line: line.line };
    discountApproval.reset();
    const current = order ? sale.order_discount : line.line_discount;
    $("discount-title").textContent = order ? "Discount the whole sale" : "Discount this line";
    $("discount-target").textContent = order
      ? `${liveLines(sale).length} item line(s), subtotal ${fmt(sale.totals.subtotal)}`
      : `Line ${line.line}: ${line.name} × ${line.quantity} = ${fmt(line.amount)}`;
    const kind = current ? current.kind : "percent";
    $(kind === "percent" ? "discount-percent" : "discount-amount").checked = true;
    $("discount-value").value = current
      ? (kind === "percent" ? C.formatPercent(current.value) : C.formatAmount(current.value, state.currency))
      : "";
    $("discount-reason").value = current ? current.reason || "" : "";
    C.show($("discount-remove"), !!current);
    discountHint();
    C.openDialog($("discount-dialog"), $("discount-value"));
  }

  function discountKind() {
    return $("discount-percent").checked ? "percent" : "amount";
  }

  function discountHint() {
    const limit = state.me && state.me.role && state.limits ? state.limits[state.me.role] : null;
    $("discount-hint").textContent = discountKind() === "percent"
      ? "Percent off, e.g. 10 or 12.5." + (limit !== null && limit !== undefined ? ` Over ${limit} % needs a supervisor.` : " Over your role's limit needs a supervisor.")
      : `An amount in ${state.currency} off, e.g. 2.00.`;
  }
  for (const radio of document.querySelectorAll("input[name=discount-kind]")) radio.addEventListener("change", discountHint);

  function discountPath() {
    const target = state.discountFor;
    return target.order ? `/sales/${state.sale.id}/discount` : `/sales/${state.sale.id}/items/${target.line}/discount`;
  }

  $("discount-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy || !state.discountFor) return;
    const kind = discountKind();
    const text = $("discount-value").value.trim();
    const value = kind === "percent" ? C.parsePercent(text) : C.parseAmount(text, state.currency);
    if (value === null || value <= 0 || (kind === "percent" && value > 10000)) {
      say($("discount-error"), kind === "percent"
        ? `“${text}” is not a percentage between 0 and 100 (at most two decimals).`
        : `“${text}” is not an amount in ${state.currency}.`);
      $("discount-value").focus();
      return;
    }
    const reason = $("discount-reason").value.trim();
    state.busy = true;
    say($("discount-error"), "");
    const sale = await withApproval(discountApproval, "discount_over_limit", $("discount-error"),
      (headers) => api("POST", discountPath(), { json: { kind, value, reason }, headers }),
      (err) => err.code === "discount_needs_approval");
    state.busy = false;
    if (!sale) return;
    setSale(sale);
    announce(`Discount given. Total ${fmt(sale.totals.total)}.`);
    C.closeDialog($("discount-dialog"));
  });

  $("discount-remove").addEventListener("click", async () => {
    if (state.busy || !state.discountFor) return;
    state.busy = true;
    try {
      const sale = await api("DELETE", discountPath());
      setSale(sale);
      announce(`Discount removed. Total ${fmt(sale.totals.total)}.`);
      C.closeDialog($("discount-dialog"));
    } catch (err) {
      say($("discount-error"), err.message);
    } finally {
      state.busy = false;
    }
  });

  /* -- price override -------------------------------------------------------------------- */

  const priceApproval = approvalBox("price");

  function openPrice() {
    const line = selectedLine();
    if ($("price-button").disabled || !line) return;
    priceApproval.reset();
    const shelf = line.original_price !== null && line.original_price !== undefined ? line.original_price : line.unit_price;
    $("price-item").textContent = `Line ${line.line}: ${line.name}, shelf price ${fmt(shelf)}`;
    $("price-value").value = "";
    $("price-reason").value = "";
    C.openDialog($("price-dialog"), $("price-value"));
    if (state.me && !state.me.permissions.includes("price_override")) {
      priceApproval.ask(`The ${state.me.role} role may not change prices; a supervisor can approve it.`);
      $("price-value").focus();
    }
  }

  $("price-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const line = selectedLine();
    if (state.busy || !line) return;
    const text = $("price-value").value.trim();
    const price = C.parseAmount(text, state.currency);
    if (price === null) {
      say($("price-error"), `“${text}” is not an amount in ${state.currency}.`);
      $("price-value").focus();
      return;
    }
    const reason = $("price-reason").value.trim();
    if (reason.length < 3) {
      say($("price-error"), "Say why the price changes (3 characters or more).");
      $("price-reason").focus();
      return;
    }
    state.busy = true;
    say($("price-error"), "");
    const sale = await withApproval(priceApproval, "price_override", $("price-error"),
      (headers) => api("POST", `/sales/${state.sale.id}/items/${line.line}/price`, { json: { price, reason }, headers }),
      (err) => err.code === "forbidden");
    state.busy = false;
    if (!sale) return;
    setSale(sale);
    announce(`${line.name} now ${fmt(price)}. Total ${fmt(sale.totals.total)}.`);
    C.closeDialog($("price-dialog"));
  });

  /* -- park and resume -------------------------------------------------------------------- */

  async function park() {
    if ($("park-button").disabled || state.busy) return;
    state.busy = true;
    try {
      await api("POST", `/sales/${state.sale.id}/park`, { json: {} });
      newSale();
      announce("Sale parked. Serve the next customer.");
      showNotice("Sale parked. Resume it from “Parked sales”.");
      refreshParked();
    } catch (err) {
      showError(err.message);
    } finally {
      state.busy = false;
    }
  }

  async function refreshParked() {
    try {
      const found = await api("GET", "/sales?status=parked");
      const n = found.sales.length;
      $("parked-count").textContent = n ? String(n) : "";
      C.show($("parked-count"), n > 0);
      $("parked-button").setAttribute("aria-label", `Parked sales (${n})`);
      return found.sales;
    } catch (err) {
      return null;
    }
  }

  function clock(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  async function openParked() {
    if (state.busy) return;
    say($("parked-error"), "");
    C.openDialog($("parked-dialog"), $("parked-dialog").querySelector(".close-dialog"));
    const sales = await refreshParked();
    const body = $("parked-body");
    body.replaceChildren();
    if (sales === null) {
      say($("parked-error"), "The parked sales could not be read; try again.");
      return;
    }
    C.show($("parked-empty"), sales.length === 0);
    C.show($("parked-table"), sales.length > 0);
    for (const p of sales) {
      const button = el("button", { type: "button", class: "primary", "aria-label": `Resume sale ${p.id}` }, "Resume");
      button.addEventListener("click", () => resume(p.id));
      body.append(el("tr", {}, el("td", {}, `Sale ${p.id}`), el("td", {}, clock(p.parked_at)),
        el("td", {}, p.parked_by || ""), el("td", { class: "num" }, String(p.lines)), el("td", {}, button)));
    }
    const first = body.querySelector("button");
    if (first) first.focus();
  }

  async function resume(id) {
    if (state.busy) return;
    const current = state.sale;
    if (current && current.status === "open" && liveLines(current).length && !state.done) {
      say($("parked-error"), "Park or finish the sale on screen first.");
      return;
    }
    state.busy = true;
    try {
      const sale = await api("POST", `/sales/${id}/resume`, { json: {} });
      state.done = false;
      C.show($("change-box"), false);
      showError("");
      setSale(sale, { select: null });
      C.closeDialog($("parked-dialog"));
      announce(`Sale ${id} resumed. Total ${fmt(sale.totals.total)}.`);
      refreshParked();
    } catch (err) {
      say($("parked-error"), err.message);
    } finally {
      state.busy = false;
    }
  }

  /* -- returns --------------------------------------------------------------------------- */

  const refundApproval = approvalBox("refund");

  function openRefund(receipt) {
    if (state.busy) return;
    state.refundSale = null;
    state.refundKey = null;
    refundApproval.reset();
    C.show($("refund-form"), false);
    C.show($("refund-submit"), false);
    say($("refund-done"), "");
    $("refund-receipt").value = receipt || "";
    $("refund-reason").value = "";
    C.openDialog($("refund-dialog"), $("refund-receipt"));
    if (receipt) findRefund();
  }

  async function findRefund() {
    const number = $("refund-receipt").value.trim().toUpperCase();
    say($("refund-error"), "");
    say($("refund-done"), "");
    if (!RECEIPT_NUMBER.test(number)) {
      say($("refund-error"), "A receipt number looks like T01-000042.");
      $("refund-receipt").focus();
      return;
    }
    try {
      const found = await api("GET", "/sales?" + new URLSearchParams({ receipt: number }));
      showRefundSale(found.sales[0]);
    } catch (err) {
      C.show($("refund-form"), false);
      C.show($("refund-submit"), false);
      say($("refund-error"), err.message);
    }
  }

  function showRefundSale(sale) {
    state.refundSale = sale;
    state.refundKey = C.uuid();
    const tenders = sale.payments.map((p) => p.method.replace("_", " ")).join(" + ");
    $("refund-sale").textContent = `Receipt ${sale.receipt_number}, ${sale.status}, total ${C.money(sale.totals.total, state.currency)}` +
      (tenders ? `, paid by ${tenders}` : "");
    const body = $("refund-body");
    body.replaceChildren();
    for (const line of sale.lines) {
      const left = line.voided ? 0 : line.quantity - (line.refunded_quantity || 0);
      const input = el("input", {
        id: `refund-qty-${line.line}`, class: "qty-input", inputmode: "numeric", autocomplete: "off",
        maxlength: "5", value: "0", "data-line": String(line.line), "data-left": String(left),
        "aria-label": `Quantity of ${line.name} to return`, disabled: left === 0,
      });
      body.append(el("tr", {},
        el("td", {}, line.name, line.voided ? el("span", { class: "badge" }, "voided") : null),
        el("td", { class: "num" }, String(line.quantity)),
        el("td", { class: "num" }, fmt(line.voided ? 0 : line.net)),
        el("td", { class: "num" }, String(left)),
        el("td", { class: "num" }, input)));
    }
    C.show($("refund-form"), sale.status === "completed");
    C.show($("refund-submit"), sale.status === "completed");
    if (sale.status !== "completed") {
      say($("refund-error"), `This sale is ${sale.status}; only a completed sale can be returned.`);
      return;
    }
    if (state.me && !state.me.permissions.includes("refund")) {
      refundApproval.ask(`The ${state.me.role} role may not give refunds; a supervisor can approve it.`);
    }
    const first = body.querySelector("input:not([disabled])");
    if (first) first.focus();
  }

  $("refund-find").addEventListener("submit", (event) => {
    event.preventDefault();
    findRefund();
  });

  $("refund-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const sale = state.refundSale;
    if (state.busy || !sale) return;
    const lines = [];
    for (const input of $("refund-body").querySelectorAll("input")) {
      const text = input.value.trim() || "0";
      if (!/^\d{1,5}$/.test(text) || Number(text) > Number(input.dataset.left)) {
        say($("refund-error"), `Return between 0 and ${input.dataset.left} of line ${input.dataset.line}.`);
        input.focus();
        return;
      }
      if (Number(text) > 0) lines.push({ line: Number(input.dataset.line), quantity: Number(text) });
    }
    if (!lines.length) {
      say($("refund-error"), "Type how many of an item come back.");
      return;
    }
    const reason = $("refund-reason").value.trim();
    if (reason.length < 3) {
      say($("refund-error"), "Say why the items come back (3 characters or more).");
      $("refund-reason").focus();
      return;
    }
    state.busy = true;
    say($("refund-error"), "");
    const answer = await withApproval(refundApproval, "refund", $("refund-error"),
      (headers) => api("POST", `/sales/${sale.id}/refunds`, {
        json: { lines, reason }, headers: { ...headers, "Idempotency-Key": state.refundKey },
      }),
      (err) => err.code === "forbidden");
    state.busy = false;
    if (!answer) return;
    const back = answer.tenders.map((t) => `${fmt(t.amount)} to ${t.method.replace("_", " ")}`).join(", ");
    refundApproval.reset();
    showRefundSale(answer.sale);
    C.show($("refund-form"), false);
    C.show($("refund-submit"), false);
    say($("refund-done"), `Refunded ${C.money(answer.amount, answer.currency || state.currency)}: ${back}.`);
    announce(`Refunded ${C.money(answer.amount, answer.currency || state.currency)}.`);
  });

  /* -- card ----------------------------------------------------------------------------- */

  function openCard(amount) {
    if ($("card-button").disabled) return;
    const due = state.sale.totals.due;
    $("card-due").textContent = C.money(due, state.currency);
    $("card-amount").value = C.formatAmount(amount && amount < due ? amount : due, state.currency).replace(/,/g, "");
    $("card-number").value = "";
    $("card-month").value = "";
    $("card-year").value = "";
    say($("card-progress"), "");
    C.openDialog($("card-dialog"), $("card-number"));
  }

  function cardWords(err) {
    if (err.code === "card_declined") {
      const code = (/\(([a-z_]+)\)/.exec(err.message) || [])[1];
      return `Card declined: ${DECLINES[code] || (code ? code.replace(/_/g, " ") : "no reason given")}. Nothing was charged.`;
    }
    return err.message;
  }

  $("card-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const amountText = $("card-amount").value.trim();
    const amount = C.parseAmount(amountText, state.currency);
    const due = state.sale.totals.due;
    if (amount === null || amount <= 0 || amount > due) {
      say($("card-error"), `The card amount must be more than 0 and at most ${C.money(due, state.currency)}.`);
      $("card-amount").focus();
      return;
    }
    const number = $("card-number").value.replace(/[\s-]/g, "");
    const month = $("card-month").value.trim();
    const year = $("card-year").value.trim();
    if (!/^\d{12,19}$/.test(number)) {
      say($("card-error"), "Type the card number: 12 to 19 digits.");
      $("card-number").focus();
      return;
    }
    if (!/^\d{1,2}$/.test(month) || Number(month) < 1 || Number(month) > 12) {
      say($("card-error"), "The expiry month is 1 to 12.");
      $("card-month").focus();
      return;
    }
    if (!/^\d{2}(\d{2})?$/.test(year)) {
      say($("card-error"), "The expiry year is 2 or 4 digits.");
      $("card-year").focus();
      return;
    }
    const fullYear = year.length === 2 ? 2000 + Number(year) : Number(year);
    state.busy = true;
    say($("card-error"), "");
    say($("card-progress"), `Asking the card network for ${C.money(amount, state.currency)}…`);
    for (const b of $("card-dialog").querySelectorAll("button")) b.disabled = true;
    if (!state.tender || state.tender.amount !== amount || state.tender.sale !== state.sale.id || state.tender.method !== "card") {
      state.tender = { amount, sale: state.sale.id, method: "card", key: C.uuid() };
    }
    try {
      const sale = await api("POST", `/sales/${state.sale.id}/payments`, {
        json: { method: "card", amount, card: { number, exp_month: Number(month), exp_year: fullYear } },
        headers: { "Idempotency-Key": state.tender.key },
      });
      state.tender = null;
      $("card-number").value = "";
      const got = sale.card ? sale.card.approved_amount : amount;
      const last4 = sale.card && sale.card.last4 ? ` (card ending ${sale.card.last4})` : "";
      if (sale.status === "completed") {
        C.closeDialog($("card-dialog"));
        await completed(sale);
      } else {
        setSale(sale);
        $("card-due").textContent = C.money(sale.totals.due, state.currency);
        $("card-amount").value = C.formatAmount(sale.totals.due, state.currency).replace(/,/g, "");
        say($("card-progress"), `${fmt(got)} approved${last4}; ${C.money(sale.totals.due, state.currency)} still due.`);
      }
    } catch (err) {
      if (err.status !== 0) {
        state.tender = null; // a real answer: the next try is a new payment
        $("card-number").value = ""; // no card number left on screen
      }
      say($("card-progress"), "");
      say($("card-error"), cardWords(err));
      if (err.code === "sale_paid") await reload();
    } finally {
      state.busy = false;
      for (const b of $("card-dialog").querySelectorAll("button")) b.disabled = false;
    }
  });

  /* -- status: the network (this screen's reach of the service) and the printer ---------- */

  function setStatus(id, textId, stateName, text) {
    const node = $(id);
    node.dataset.state = stateName;
    $(textId).textContent = text;
  }

  async function checkNetwork() {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 4000);
    try {
      const answer = await fetch("/healthz", { cache: "no-store", signal: controller.signal });
      setStatus("net-status", "net-text", answer.ok ? "ok" : "bad", answer.ok ? "Network: online" : "Network: service not ready");
    } catch (e) {
      setStatus("net-status", "net-text", "bad", "Network: offline");
    } finally {
      clearTimeout(timer);
    }
  }

  /** GET /printer: {configured, running, pending, problem, jobs}. A build without the route
   * (404) hides the printer's status. */
  async function checkPrinter() {
    if (!state.printer) return;
    try {
      const p = await api("GET", "/printer");
      let words = "ready";
      let mood = "ok";
      if (p.configured === false) {
        words = "none set up";
        mood = "unknown";
      } else if (p.problem) {
        words = String(p.problem);
        mood = "bad";
      } else if (p.pending > 0) {
        words = `${p.pending} receipt${p.pending === 1 ? "" : "s"} waiting`;
        mood = "warn";
      } else if (p.running === false) {
        words = "not running";
        mood = "bad";
      }
      setStatus("printer-status", "printer-text", mood, `Printer: ${words}`);
      C.show($("printer-status"), true);
    } catch (err) {
      if (err.status === 404 || err.status === 405) {
        state.printer = false; // this build has no printer route
        C.show($("printer-status"), false);
      } else if (err.status !== 401) {
        setStatus("printer-status", "printer-text", "bad", "Printer: status unknown");
        C.show($("printer-status"), true);
      }
    }
  }

  function startStatus() {
    checkNetwork();
    checkPrinter();
    if (!state.statusTimer) {
      state.statusTimer = setInterval(() => {
        checkNetwork();
        if (state.me) checkPrinter();
      }, 10000);
    }
  }
  window.addEventListener("online", checkNetwork);
  window.addEventListener("offline", () => setStatus("net-status", "net-text", "bad", "Network: offline"));

  function showNotice(message) {
    announce(message);
  }

  /* -- buttons and keys ---------------------------------------------------------------- */

  $("pay-button").addEventListener("click", openPay);
  $("card-button").addEventListener("click", () => openCard());
  $("qty-button").addEventListener("click", openQuantity);
  $("void-button").addEventListener("click", openVoid);
  $("discount-button").addEventListener("click", () => openDiscount(false));
  $("order-discount-button").addEventListener("click", () => openDiscount(true));
  $("price-button").addEventListener("click", openPrice);
  $("park-button").addEventListener("click", park);
  $("parked-button").addEventListener("click", openParked);
  $("refund-button").addEventListener("click", () => openRefund());
  $("keys-button").addEventListener("click", () => C.openDialog($("keys-dialog")));
  $("cancel-sale-button").addEventListener("click", openCancel);
  $("new-sale-button").addEventListener("click", () => newSale());
  $("pay-card-rest").addEventListener("click", () => {
    if (state.busy) return;
    C.closeDialog($("pay-dialog"));
    openCard();
  });

  document.addEventListener("keydown", (event) => {
    if ($("app-view").hidden) return;
    const dialogOpen = document.querySelector("dialog[open]");
    const fkeys = {
      F2: openPay, F3: openQuantity, F4: openVoid, F6: () => openCard(), F7: () => openDiscount(false),
      F8: openCancel, F10: park,
    };
    if (fkeys[event.key]) {
      event.preventDefault();
      if (!dialogOpen && !state.done) fkeys[event.key]();
      return;
    }
    if (event.key === "F9") {
      event.preventDefault();
      if (!dialogOpen && state.done) newSale();
      return;
    }
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      const alt = {
        l: openParked, r: () => openRefund(), d: () => openDiscount(true), p: openPrice,
        k: () => C.openDialog($("keys-dialog")),
      };
      const act = alt[event.key.toLowerCase()];
      if (act) {
        event.preventDefault();
        if (!dialogOpen) act();
        return;
      }
    }
    if (dialogOpen) return;
    const target = event.target;
    const inField = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
    if (target === $("scan-input") && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      moveSelection(event.key === "ArrowUp" ? -1 : 1);
      return;
    }
    // A scanner (or a person) typing while a button has the focus: the keys go to the scan field.
    if (!inField && !event.ctrlKey && !event.altKey && !event.metaKey && event.key.length === 1 && event.key !== " ") {
      event.preventDefault();
      const input = $("scan-input");
      input.focus();
      input.value += event.key;
    }
  });

  // Keep the scan field focused when a tap lands on nothing that takes focus.
  document.addEventListener("click", (event) => {
    if (event.target.closest("input, textarea, select, a, pre, dialog")) return;
    if (event.target.closest("button") && !event.target.closest("#lines-body")) return;
    focusScan();
  });

  /** The back office screen (stock, customers, gift cards…) is newer than this one: link to
   * it only once the app serves it. */
  async function probeBackOffice() {
    try {
      const answer = await fetch("/backoffice", { method: "HEAD", cache: "no-store" });
      C.show($("to-backoffice"), answer.ok);
    } catch (e) {
      C.show($("to-backoffice"), false);
    }
  }

  /* -- start --------------------------------------------------------------------------- */

  const session = C.session({
    async onReady(me, settings) {
      state.me = me;
      state.currency = settings.currency;
      const backOffice = ["manage_products", "manage_users", "view_reports", "view_audit"]
        .some((p) => me.permissions.includes(p));
      C.show($("to-manager"), backOffice);
      state.cards = true; // until a card tender says the till has no gateway
      state.printer = true;
      for (const code of document.querySelectorAll(".currency-code")) code.textContent = settings.currency;
      const office = ["clock_in", "manage_stock", "serve_customers", "view_reports"]
        .some((p) => me.permissions.includes(p));
      C.show($("to-backoffice"), false);
      if (office) probeBackOffice();
      startStatus();
      refreshParked();
      newSale({ keepFocus: true });
      let resume = null;
      try {
        resume = sessionStorage.getItem(SALE_KEY);
      } catch (e) {
        resume = null;
      }
      if (resume && /^\d+$/.test(resume)) {
        try {
          const sale = await api("GET", `/sales/${resume}`);
          if (sale.status === "open") setSale(sale);
        } catch (e) {
          /* gone: start fresh */
        }
      }
      focusScan();
    },
    onLoggedOut() {
      state.me = null;
      newSale({ keepFocus: true });
    },
  });
  session.start();
})();
