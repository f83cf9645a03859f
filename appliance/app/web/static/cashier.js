/* The till: scan, quantities, voids (with a supervisor's approval), cash, receipt.
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
      const row = el("tr", {
        class: (chosen ? "selected " : "") + (line.voided ? "voided" : ""),
        "data-line": String(line.line),
      },
      el("td", { class: "num" }, String(line.line)),
      el("td", { class: "item" }, name, el("span", { class: "sku" }, line.sku)),
      el("td", { class: "num qty" }, String(line.quantity)),
      el("td", { class: "num" }, fmt(line.unit_price)),
      el("td", { class: "num amount" }, fmt(line.amount)));
      body.append(row);
    }
    C.show($("lines"), lines.length > 0);
    C.show($("lines-empty"), lines.length === 0 && !state.done);
    const picked = body.querySelector("tr.selected");
    if (picked) picked.scrollIntoView({ block: "nearest" });

    // Totals
    const totals = sale ? sale.totals : { subtotal: 0, tax: 0, total: 0, paid: 0, due: 0 };
    $("t-subtotal").textContent = fmt(totals.subtotal);
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
    const editable = open && line && !line.voided && totals.paid === 0;
    $("pay-button").disabled = !(open && liveLines(sale).length > 0 && totals.due > 0);
    $("qty-button").disabled = !editable;
    $("void-button").disabled = !editable;
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
      for (const alert of dialog.querySelectorAll("[role=alert]")) say(alert, "");
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
    if (!state.tender || state.tender.amount !== amount || state.tender.sale !== state.sale.id) {
      state.tender = { amount, sale: state.sale.id, key: C.uuid() };
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
    const tendered = sale.payments.reduce((sum, p) => sum + p.tendered, 0);
    $("change-note").textContent = `Cash received ${fmt(tendered)} · Total ${fmt(sale.totals.total)}`;
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

  /* -- buttons and keys ---------------------------------------------------------------- */

  $("pay-button").addEventListener("click", openPay);
  $("qty-button").addEventListener("click", openQuantity);
  $("void-button").addEventListener("click", openVoid);
  $("cancel-sale-button").addEventListener("click", openCancel);
  $("new-sale-button").addEventListener("click", () => newSale());

  document.addEventListener("keydown", (event) => {
    if ($("app-view").hidden) return;
    const dialogOpen = document.querySelector("dialog[open]");
    const keys = { F2: openPay, F3: openQuantity, F4: openVoid, F8: openCancel };
    if (keys[event.key]) {
      event.preventDefault();
      if (!dialogOpen && !state.done) keys[event.key]();
      return;
    }
    if (event.key === "F9") {
      event.preventDefault();
      if (!dialogOpen && state.done) newSale();
      return;
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

  /* -- start --------------------------------------------------------------------------- */

  const session = C.session({
    async onReady(me, settings) {
      state.me = me;
      state.currency = settings.currency;
      const backOffice = ["manage_products", "manage_users", "view_reports", "view_audit"]
        .some((p) => me.permissions.includes(p));
      C.show($("to-manager"), backOffice);
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
