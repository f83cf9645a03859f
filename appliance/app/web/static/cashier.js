/* The till: scan, quantities, voids, discounts and price overrides (with a supervisor's
 * approval when the role's own rights stop), cash, card, gift card and points tenders (split
 * as needed), park and resume, returns found by the receipt number or the day (to the
 * original tenders or to store credit) and returns without a receipt, the customer on the
 * sale (found or enrolled, their points), gift cards sold and topped up, printer and network
 * status.
 *
 * Goods without a barcode: letters typed in the scan field list the products whose name (or a
 * word of it, or the sku) starts with them, to pick with the arrows and Enter or a touch; the
 * item buttons (Alt+E) show the back office's grid, a tab per category; 4 or 5 digits are a
 * PLU (loose produce); an item sold by weight asks for its weight.
 *
 * The barcode field keeps the focus: a keyboard-wedge scanner types digits then Enter, so
 * any printable key typed while no field or dialog has the focus goes into it. Scans are
 * queued and sent one at a time, because each answer is the whole sale.
 *
 * A scanner's burst is also caught whatever has the focus (scanner.js, in the capture phase:
 * its digits never land in a dialog's field), and the till's own HID/serial scanners arrive
 * over GET /scans/stream. The drawer: shifts (counted float, paid in/out, X report, blind
 * close, Z report), "no sale", reprints marked COPY, the printer's queue; and the time clock.
 *
 * A module (for scanner.js's export); strict by itself.
 */
import { createWedgeDetector } from "/static/scanner.js";
import { setupDisplayPairing } from "/static/pairing.js";

setupDisplayPairing(Comptoir); // the "Pair display" button and its dialog

(() => {
  const C = Comptoir;
  const { $, api, el, say } = C;
  const SALE_KEY = "comptoir.sale";
  const EXTRAS_KEY = "comptoir.sale-extras"; // per sale id: its customer and the gift cards sold on it
  const GIFT_SKU = "GIFT-CARD"; // the product a gift card line is sold as (gift_cards.PRODUCT_SKU)
  const RECEIPT_NUMBER = /^[A-Za-z0-9_]{1,16}-\d{6}$/;
  const APPROVAL_MISSING = "A supervisor must type their user name and password or PIN, or scan their badge.";
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
    tender: null, // {amount, key}: reused if the same tender is retried after a failure
    confirmCash: null, // an outsized cash amount shown once for the cashier to confirm
    voidApproval: false,
    discountFor: null, // {line} or {order: true}
    refundSale: null, // the sale being returned
    refundKey: null, // Idempotency-Key of the refund on screen
    giftSellKey: null, // {what, key}: the Idempotency-Key of the gift card being put on the sale
    customer: null, // the customer named on the sale on screen, as the API last gave them
    giftCards: [], // gift cards sold or topped up on the sale on screen: {code, kind, amount, line}
    extrasFor: null, // the sale id that `customer` and `giftCards` belong to
    noreceipt: [], // the items of a return without a receipt: {product, quantity}
    noreceiptKey: null,
    keyWhileBusy: null, // the last shortcut pressed while the till was busy, played once it is not
  };

  // `busy` is set by every call that must finish before the next act (a payment, a refund…).
  // A shortcut pressed meanwhile (F9 for the next sale as the payment goes through) is kept
  // and played when the till is free again, instead of being lost.
  let busy = false;
  Object.defineProperty(state, "busy", {
    get: () => busy,
    set: (value) => {
      busy = !!value;
      if (!busy && state.keyWhileBusy) {
        const kept = state.keyWhileBusy;
        state.keyWhileBusy = null;
        setTimeout(() => onKey(kept), 0);
      }
    },
  });

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
    // A card payment whose outcome the card network has not confirmed yet (card_pending).
    const checking = (sale && sale.card_pending) || 0;
    $("card-checking").textContent = checking > 0
      ? `A card payment of ${fmt(checking)} is being checked with the card network. Take no other card payment on this sale until it is settled.`
      : "";
    C.show($("card-checking"), checking > 0);
    if (checking > 0 && !state.checkingTimer) {
      // Read the sale again until the card network's answer has settled it.
      state.checkingTimer = setTimeout(() => { state.checkingTimer = null; reload(); }, 5000);
    }

    // What can be done now
    const open = sale && sale.status === "open";
    const line = selectedLine();
    const live = liveLines(sale).length > 0;
    const editable = open && line && !line.voided && totals.paid === 0;
    const giftLine = !!line && line.sku === GIFT_SKU; // its value is the card's: no quantity, price or discount
    const payable = open && live && totals.due > 0;
    $("pay-button").disabled = !payable;
    $("card-button").disabled = !(payable && state.cards);
    $("gift-button").disabled = !payable;
    $("points-button").disabled = !(payable && state.customer);
    $("qty-button").disabled = !editable || !!line.measure || giftLine;
    $("void-button").disabled = !editable;
    $("discount-button").disabled = !editable || giftLine;
    $("price-button").disabled = !editable || !!line.measure || giftLine;
    $("customer-button").disabled = !(state.me && state.me.permissions.includes("serve_customers"));
    $("giftsell-button").disabled = !!(open && totals.paid > 0);
    renderCustomer();
    $("order-discount-button").disabled = !(open && live && totals.paid === 0) || state.done;
    $("park-button").disabled = !(open && live); // a part-paid sale too: the parked list shows what it holds
    $("cancel-sale-button").disabled = !(open && totals.paid === 0 && sale.lines.length > 0);
    C.show($("sale-actions"), !state.done);
    C.show($("done-actions"), state.done);
    C.show($("done-view"), state.done);
    C.show($("lines-box"), !state.done);
  }

  function setSale(sale, { select } = {}) {
    state.sale = sale;
    if (sale && state.extrasFor !== sale.id) {
      const extras = loadExtras(sale.id); // a resumed or reloaded sale gets its customer back
      state.customer = extras.customer || null;
      state.giftCards = extras.cards || [];
      state.extrasFor = sale.id;
    }
    // The sale names its customer itself (a sale resumed on another till, too).
    if (sale && sale.customer !== undefined) state.customer = sale.customer;
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
      if (line) announce(`${line.name}, quantity ${line.quantity}. Total ${fmt(answer.totals.total)}.`);
      return line;
    } catch (err) {
      showError(err.message);
      if (err.status === 409 && state.sale) await reload();
      return null;
    }
  }

  /* -- the weight of an item sold by weight -------------------------------------------- */

  let weightAnswer = null;

  /** Kilograms as typed ("0.45", "1,250"): whole grams, 1 g to 99.999 kg; else null. */
  function parseWeight(text) {
    const m = /^(\d{0,2})(?:[.,](\d{0,3}))?$/.exec(text.trim());
    if (!m || (!m[1] && !m[2])) return null;
    const grams = Number(m[1] || "0") * 1000 + Number((m[2] || "").padEnd(3, "0"));
    return grams >= 1 && grams <= 99999 ? grams : null;
  }

  /** Resolves to the grams typed, or null when the cashier cancels. */
  function askWeight(what) {
    $("weight-item").textContent = what;
    $("weight-input").value = "";
    say($("weight-error"), "");
    return new Promise((resolve) => {
      weightAnswer = resolve;
      C.openDialog($("weight-dialog"), $("weight-input"));
    });
  }

  $("weight-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const grams = parseWeight($("weight-input").value);
    if (grams === null) {
      say($("weight-error"), "Type the weight in kilograms, from 0.001 to 99.999 (0.450 for 450 g).");
      $("weight-input").focus();
      return;
    }
    const done = weightAnswer;
    weightAnswer = null;
    C.closeDialog($("weight-dialog"));
    if (done) done(grams);
  });
  $("weight-dialog").addEventListener("close", () => {
    const done = weightAnswer;
    weightAnswer = null;
    if (done) done(null);
  });

  /** Queues an item picked in a list or on a button (by its sku). */
  function pickProduct(product) {
    if (state.done) newSale({ keepFocus: true });
    state.queue.push({ bodies: [{ sku: product.sku }], name: product.name });
    return runQueue();
  }

  /* -- finding a product by name, in the scan field ------------------------------------ */

  const find = { timer: null, results: [], active: -1, seq: 0 };
  const QUANTITY_PREFIX = /^\d{1,4}\s*[*xX]/;

  function closeFind() {
    clearTimeout(find.timer);
    find.seq += 1; // an answer still on its way is dropped
    find.results = [];
    find.active = -1;
    $("find-list").replaceChildren();
    C.show($("find-box"), false);
    const input = $("scan-input");
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function priceWords(p) {
    return p.sold_by === "weight" ? `${fmt(p.price)}/kg` : fmt(p.price);
  }

  function showFind(products, note) {
    find.results = products;
    find.active = -1;
    const list = $("find-list");
    list.replaceChildren(...products.map((p, i) => el("li", {
      id: `find-option-${i}`, role: "option", "aria-selected": "false", class: "find-option", "data-i": String(i),
    }, el("span", { class: "find-name" }, p.name), " ", el("span", { class: "find-price" }, priceWords(p)))));
    $("find-note").textContent = note;
    C.show($("find-box"), true);
    const input = $("scan-input");
    input.setAttribute("aria-expanded", products.length ? "true" : "false");
    input.removeAttribute("aria-activedescendant");
    announce(note);
  }

  function moveFind(step) {
    const n = find.results.length;
    if (!n) return;
    find.active = find.active < 0 ? (step > 0 ? 0 : n - 1) : (find.active + step + n) % n;
    for (const option of $("find-list").children) {
      const on = Number(option.dataset.i) === find.active;
      option.setAttribute("aria-selected", on ? "true" : "false");
      if (on) option.scrollIntoView({ block: "nearest" });
    }
    $("scan-input").setAttribute("aria-activedescendant", `find-option-${find.active}`);
  }

  function pickFound(i) {
    const product = find.results[i];
    if (!product) return;
    $("scan-input").value = "";
    closeFind();
    pickProduct(product);
  }

  async function runFind(text) {
    const seq = ++find.seq;
    try {
      const found = await api("GET", `/products?q=${encodeURIComponent(text)}&limit=8`);
      if (seq !== find.seq) return;
      const products = found.products;
      showFind(products, products.length
        ? (products.length === 1 ? "1 product found: Enter adds it." : `${products.length} products found: ↑ ↓ to choose, Enter to add.`)
        : `No product on sale starts with “${text}”.`);
    } catch (err) {
      if (seq === find.seq) showFind([], err.message);
    }
  }

  $("scan-input").addEventListener("input", () => {
    clearTimeout(find.timer);
    const text = $("scan-input").value.trim();
    if (!/\p{L}/u.test(text) || QUANTITY_PREFIX.test(text)) {
      closeFind();
      return;
    }
    if (text.length < 3) {
      find.seq += 1;
      showFind([], "Type 3 letters or more to find a product by name.");
      return;
    }
    find.timer = setTimeout(() => runFind(text), 150);
  });

  // Before the till's own keys (the arrows choose a line when no list is open).
  $("scan-input").addEventListener("keydown", (event) => {
    if ($("find-box").hidden) return;
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && find.results.length) {
      event.preventDefault();
      event.stopPropagation();
      moveFind(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && (find.active >= 0 || find.results.length === 1)) {
      // The one chosen, or the only one found; else Enter adds the text as a code (a sku).
      event.preventDefault();
      event.stopPropagation();
      pickFound(Math.max(find.active, 0));
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeFind();
    }
  });
  $("scan-input").addEventListener("blur", () => setTimeout(() => {
    if (document.activeElement !== $("scan-input")) closeFind();
  }, 0));
  $("find-list").addEventListener("mousedown", (event) => event.preventDefault()); // the field keeps the focus
  $("find-list").addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) pickFound(Number(option.dataset.i));
  });

  /* -- the item buttons ------------------------------------------------------------------ */

  const grid = { tabs: [], tab: 0 };

  function showTab(index, { focus = false } = {}) {
    grid.tab = index;
    const tabs = [...$("items-tabs").children];
    tabs.forEach((tab, i) => {
      tab.setAttribute("aria-selected", i === index ? "true" : "false");
      tab.tabIndex = i === index ? 0 : -1;
    });
    const panel = $("items-panel");
    const current = grid.tabs[index];
    if (!current) {
      panel.replaceChildren();
      return;
    }
    panel.setAttribute("aria-labelledby", `items-tab-${index}`);
    panel.replaceChildren(...current.products.map((p) => el("button", {
      type: "button", class: "item-button", "data-sku": p.sku,
    }, el("span", { class: "item-name" }, p.name), el("span", { class: "item-price" }, priceWords(p)))));
    if (!current.products.length) panel.append(el("p", { class: "empty-small" }, "No items on this tab."));
    if (focus) tabs[index].focus();
  }

  async function openItems() {
    say($("items-error"), "");
    say($("items-done"), "");
    C.openDialog($("items-dialog"), $("items-dialog").querySelector(".close-dialog"));
    try {
      grid.tabs = (await api("GET", "/item-grid")).tabs.filter((t) => t.products.length);
    } catch (err) {
      grid.tabs = [];
      say($("items-error"), err.message);
    }
    $("items-tabs").replaceChildren(...grid.tabs.map((t, i) => el("button", {
      type: "button", role: "tab", id: `items-tab-${i}`, "aria-controls": "items-panel", "aria-selected": "false",
      tabindex: "-1", class: "items-tab",
    }, t.category)));
    C.show($("items-empty"), !grid.tabs.length && !$("items-error").textContent);
    C.show($("items-panel"), grid.tabs.length > 0);
    C.show($("items-tabs"), grid.tabs.length > 0);
    showTab(Math.min(grid.tab, Math.max(grid.tabs.length - 1, 0)), { focus: grid.tabs.length > 0 });
  }

  $("items-tabs").addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (tab) showTab([...$("items-tabs").children].indexOf(tab), { focus: true });
  });
  $("items-tabs").addEventListener("keydown", (event) => {
    const n = grid.tabs.length;
    const moves = { ArrowRight: grid.tab + 1, ArrowLeft: grid.tab - 1, Home: 0, End: n - 1 };
    if (!n || !(event.key in moves)) return;
    event.preventDefault();
    showTab((moves[event.key] + n) % n, { focus: true });
  });
  $("items-panel").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-sku]");
    if (!button) return;
    const product = grid.tabs[grid.tab].products.find((p) => p.sku === button.dataset.sku);
    if (!product) return;
    say($("items-error"), "");
    await pickProduct(product);
    const error = $("sale-error").hidden ? "" : $("sale-error").textContent;
    if (error) say($("items-error"), error);
    else if (state.sale) say($("items-done"), `${product.name} added. Total ${fmt(state.sale.totals.total)}.`);
    if ($("items-dialog").open) button.focus();
  });

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
    closeFind();
    if (!text) {
      if (state.done) newSale(); // Enter on the receipt screen starts the next sale
      return;
    }
    acceptScan(text); // a receipt's barcode opens the return; anything else is an item
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
        if (!username) {
          say($("void-error"), APPROVAL_MISSING);
          return;
        }
        const granted = await api("POST", "/auth/approve", {
          json: { ...C.credentials(username, password), permission: "void_line" },
        }).finally(() => {
          $("approval-password").value = "";
          if (!password) $("approval-username").value = ""; // a badge's code stays on screen no longer
        });
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
      forgetExtras(state.sale.id);
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

  /** What cash settles the sale with now: the due rounded to the store's smallest coin
   *  (the server's totals.cash_due), the due itself where the store does not round. */
  function cashDue(sale) {
    const t = sale.totals;
    return typeof t.cash_due === "number" ? t.cash_due : t.due;
  }

  /** Why a typed amount is refused, in the shop's words (common.js readAmount). */
  function amountError(text) {
    return C.readAmount(text, state.currency).error || `“${text}” is not an amount in ${state.currency}.`;
  }

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

  /** The due and the quick-cash buttons, from what is still due now (after every tender):
   *  Exact is the due rounded for cash, the notes the next round amounts above it. */
  function showCashDue(sale) {
    const due = sale.totals.due;
    const cash = cashDue(sale);
    $("pay-due").textContent = C.moneyLocal(due, state.currency) +
      (cash !== due ? ` (cash ${C.formatLocal(cash, state.currency)})` : "");
    const quick = $("quick-cash");
    quick.replaceChildren();
    const addQuick = (amount, label) => {
      const button = el("button", { type: "button", class: "quick", "data-amount": String(amount) },
        label ? el("span", { class: "quick-label" }, label + " ") : null,
        el("span", {}, C.formatLocal(amount, state.currency), el("span", { class: "sr-only" }, " " + state.currency)));
      button.addEventListener("click", () => tender(amount));
      quick.append(button);
    };
    if (cash > 0) addQuick(cash, "Exact");
    for (const amount of quickAmounts(cash)) addQuick(amount);
  }

  function openPay() {
    if ($("pay-button").disabled) return;
    showCashDue(state.sale);
    $("pay-input").value = "";
    state.confirmCash = null;
    C.openDialog($("pay-dialog"), $("pay-input"));
  }

  /** Cash far beyond what the sale needs is a typing slip more often than a big note: above
   *  ten times the cash due and above the largest note, the cashier confirms it first. */
  function outsized(amount) {
    const notes = C.settings().denominations || state.denominations || [];
    const largest = notes.length ? Math.max(...notes) : 100 * 10 ** C.exponent(state.currency);
    return amount > 10 * cashDue(state.sale) && amount > largest;
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
      say($("pay-error"), amount === 0 ? "The cash received must be more than 0." : amountError(text));
      return;
    }
    if (outsized(amount) && state.confirmCash !== amount) {
      state.confirmCash = amount;
      say($("pay-error"), `Cash received ${C.moneyLocal(amount, state.currency)} for ` +
        `${C.moneyLocal(cashDue(state.sale), state.currency)} due: is that right? ` +
        "Press Take cash again to take it, or correct the amount.");
      $("pay-input").focus();
      return;
    }
    state.confirmCash = null;
    tender(amount);
  });
  $("pay-input").addEventListener("input", () => {
    if (state.confirmCash !== null) {
      state.confirmCash = null;
      say($("pay-error"), "");
    }
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
        showCashDue(sale); // Exact and the notes follow what is still due
        $("pay-input").value = "";
        say($("pay-error"), `${C.formatLocal(amount, state.currency)} taken; ` +
          `${C.moneyLocal(sale.totals.due, state.currency)} still due.`);
        $("pay-input").focus();
      }
    } catch (err) {
      if (err.status && err.status !== 0) state.tender = null; // a real answer: the next try is new
      say($("pay-error"), words(err));
      if (err.code === "no_open_shift" || err.code === "drawer_in_use") refreshShift();
      if (err.code === "sale_paid") await reload();
    } finally {
      state.busy = false;
      for (const b of $("pay-dialog").querySelectorAll("button")) b.disabled = false;
    }
  }

  async function completed(sale) {
    state.done = true;
    rememberLast(sale);
    state.selected = null;
    setSale(sale);
    const local = (v) => C.formatLocal(v, state.currency);
    $("change-amount").textContent = local(sale.change);
    $("change-currency").textContent = state.currency;
    const byMethod = new Map();
    for (const p of sale.payments) byMethod.set(p.method, (byMethod.get(p.method) || 0) + p.tendered);
    const names = { cash: "Cash received", card: "Card", gift_card: "Gift card", loyalty: "Points" };
    const parts = Array.from(byMethod, ([m, v]) => `${names[m] || m} ${local(v)}`);
    const rounding = sale.rounding ? [`Rounding ${local(sale.rounding)}`] : [];
    $("change-note").textContent = [...parts, `Total ${local(sale.totals.total)}`, ...rounding].join(" · ");
    C.show($("change-box"), true);
    $("receipt-number").textContent = sale.receipt_number || "";
    $("receipt-text").textContent = "Loading the receipt…";
    announce(`Sale complete. Change ${C.moneyLocal(sale.change, state.currency)}.`);
    showCardsIssued(sale);
    $("new-sale-button").focus();
    showPointsEarned(sale);
    try {
      $("receipt-text").textContent = await api("GET", `/sales/${sale.id}/receipt?format=text`, { text: true });
    } catch (err) {
      $("receipt-text").textContent = "";
      showError("The sale is complete but the receipt could not be shown: " + err.message);
    }
  }

  function newSale({ keepFocus } = {}) {
    if (state.done && state.sale) forgetExtras(state.sale.id);
    state.sale = null;
    state.selected = null;
    state.done = false;
    state.tender = null;
    state.customer = null;
    state.giftCards = [];
    state.extrasFor = null;
    C.show($("loyalty-note"), false);
    C.show($("cards-issued"), false);
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
        if (!username) throw new C.ApiError(0, "approval_missing", APPROVAL_MISSING);
        try {
          const credentials = C.credentials(username, password);
          const granted = await api("POST", "/auth/approve", { json: { ...credentials, permission } });
          return { "X-Approval": granted.approval };
        } finally {
          $(`${prefix}-approval-password`).value = "";
          if (!password) $(`${prefix}-approval-username`).value = ""; // a badge's code stays on screen no longer
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
        : value === 0 ? "The discount must be more than 0." : amountError(text));
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
      say($("price-error"), amountError(text));
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

  /** The sales of this till not on screen: parked ones, and open ones nobody parked (a
   * reload, a closed window or a session that ended left them). An empty open sale holds
   * nothing and is left out. Returns {parked, open}, or null when they could not be read. */
  async function refreshParked() {
    try {
      const [parked, open] = await Promise.all([api("GET", "/sales?status=parked"), api("GET", "/sales?status=open")]);
      const onScreen = state.sale && state.sale.status === "open" ? state.sale.id : null;
      const left = open.sales.filter((s) => s.id !== onScreen && (s.lines > 0 || s.paid > 0));
      const n = parked.sales.length + left.length;
      $("parked-count").textContent = n ? String(n) : "";
      C.show($("parked-count"), n > 0);
      $("parked-button").setAttribute("aria-label", left.length ? `Parked sales (${n}, ${left.length} left open)` : `Parked sales (${n})`);
      return { parked: parked.sales, open: left };
    } catch (err) {
      return null;
    }
  }

  function clock(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  /** The parked sales and those left open, each with a button to take it up. `intro` says
   * why the list opened by itself (several sales were left open at the start). */
  async function openParked({ intro = false } = {}) {
    if (state.busy) return;
    say($("parked-error"), "");
    C.show($("parked-intro"), intro);
    C.openDialog($("parked-dialog"), $("parked-dialog").querySelector(".close-dialog"));
    const found = await refreshParked();
    const body = $("parked-body");
    const openBody = $("open-body");
    body.replaceChildren();
    openBody.replaceChildren();
    if (found === null) {
      say($("parked-error"), "The parked sales could not be read; try again.");
      return;
    }
    C.show($("parked-empty"), found.parked.length === 0);
    C.show($("parked-table"), found.parked.length > 0);
    for (const p of found.parked) {
      const button = el("button", { type: "button", class: "primary", "aria-label": `Resume sale ${p.id}` }, "Resume");
      button.addEventListener("click", () => resume(p.id));
      body.append(el("tr", {}, el("td", {}, `Sale ${p.id}`), el("td", {}, clock(p.parked_at)),
        el("td", {}, p.parked_by || ""), el("td", { class: "num" }, String(p.lines)),
        el("td", { class: "num" }, p.paid ? fmt(p.paid) : ""), el("td", {}, button)));
    }
    C.show($("open-section"), found.open.length > 0);
    for (const o of found.open) {
      const button = el("button", { type: "button", class: "primary", "aria-label": `Take up sale ${o.id}` }, "Take up");
      button.addEventListener("click", () => takeUp(o.id));
      openBody.append(el("tr", {}, el("td", {}, `Sale ${o.id}`), el("td", {}, clock(o.opened_at)),
        el("td", {}, o.cashier || ""), el("td", { class: "num" }, String(o.lines)),
        el("td", { class: "num" }, o.paid ? fmt(o.paid) : ""), el("td", { class: "num" }, fmt(o.due)),
        el("td", {}, button)));
    }
    const first = $("parked-dialog").querySelector("tbody button");
    if (first) first.focus();
  }

  /** A sale on screen with items must be parked or finished before another comes up. */
  function screenIsBusy() {
    const current = state.sale;
    return !!(current && current.status === "open" && liveLines(current).length && !state.done);
  }

  function showTakenUp(sale, words) {
    state.done = false;
    state.tender = null;
    C.show($("change-box"), false);
    showError("");
    setSale(sale, { select: null });
    C.closeDialog($("parked-dialog"));
    const paid = sale.totals.paid ? ` Paid ${fmt(sale.totals.paid)}, ${fmt(sale.totals.due)} due.` : "";
    announce(`${words} Total ${fmt(sale.totals.total)}.${paid}`);
    refreshParked();
  }

  /** What the parked list's buttons share: nothing while the screen holds a sale or the till
   * is busy, and an error said in the list. */
  async function fromParkedList(act) {
    if (state.busy) return;
    if (screenIsBusy()) {
      say($("parked-error"), "Park or finish the sale on screen first.");
      return;
    }
    state.busy = true;
    try {
      await act();
    } catch (err) {
      say($("parked-error"), err.message);
    } finally {
      state.busy = false;
    }
  }

  function resume(id) {
    return fromParkedList(async () => {
      showTakenUp(await api("POST", `/sales/${id}/resume`, { json: {} }), `Sale ${id} resumed.`);
    });
  }

  /** Puts a sale left open (not parked) back on screen, as it is on the server. */
  function takeUp(id) {
    return fromParkedList(async () => {
      const sale = await api("GET", `/sales/${id}`);
      if (sale.status !== "open" || sale.parked) {
        say($("parked-error"), `Sale ${id} is no longer left open.`);
        refreshParked();
        return;
      }
      showTakenUp(sale, `Sale ${id} is back on screen.`);
    });
  }

  /** At the start (a reload, a crash, a new login): the sale this tab had on screen if it
   * is still open, else the one sale left open on this till; several: the list to pick from. */
  async function recoverOpenSale(remembered) {
    const found = await refreshParked();
    if (found === null) return;
    const pick = found.open.find((s) => String(s.id) === remembered) || (found.open.length === 1 ? found.open[0] : null);
    if (pick) {
      await takeUp(pick.id);
    } else if (found.open.length > 1) {
      await openParked({ intro: true });
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
    showRefundSlip("");
    $("refund-receipt").value = receipt || "";
    $("refund-reason").value = "";
    $("refund-day").value = today();
    $("refund-day-body").replaceChildren();
    C.show($("refund-day-box"), false);
    C.show($("refund-day-empty"), false);
    $("refund-to-original").checked = true;
    creditHint("refund-to-hint");
    C.openDialog($("refund-dialog"), $("refund-receipt"));
    if (receipt) findRefund();
  }

  async function findRefund() {
    const number = $("refund-receipt").value.trim().toUpperCase();
    say($("refund-error"), "");
    say($("refund-done"), "");
    showRefundSlip("");
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
        maxlength: "5", value: String(left), "data-line": String(line.line), "data-left": String(left),
        "aria-label": `Quantity of ${line.name} to return`, disabled: left === 0,
      });
      input.addEventListener("input", quoteRefund);
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
    quoteRefund();
    const first = body.querySelector("input:not([disabled])");
    if (first) first.focus();
  }

  /** The quantities typed, as the refund takes them: lines with something coming back, or
   * null (and the input at fault) when one is not a whole number up to what is left. */
  function refundLines() {
    const lines = [];
    for (const input of $("refund-body").querySelectorAll("input")) {
      const text = input.value.trim() || "0";
      if (!/^\d{1,5}$/.test(text) || Number(text) > Number(input.dataset.left)) return { bad: input };
      if (Number(text) > 0) lines.push({ line: Number(input.dataset.line), quantity: Number(text) });
    }
    return { lines };
  }

  let quoteTimer = null;
  let quoteSeq = 0;

  /** The amount to refund, as the server works it out (discounts, taxes, the last refund's
   * rest), shown as the quantities change; a slower answer never overwrites a newer one. */
  function quoteRefund() {
    const sale = state.refundSale;
    const shown = $("refund-amount-value");
    clearTimeout(quoteTimer);
    const seq = ++quoteSeq;
    if (!sale || sale.status !== "completed") return;
    const { lines, bad } = refundLines();
    if (bad) {
      shown.textContent = "—";
      return;
    }
    if (!lines.length) {
      shown.textContent = C.money(0, state.currency);
      return;
    }
    quoteTimer = setTimeout(async () => {
      try {
        const quote = await api("POST", `/sales/${sale.id}/refund-quote`, { json: { lines } });
        if (seq === quoteSeq) shown.textContent = C.money(quote.amount, quote.currency || state.currency);
      } catch (err) {
        if (seq === quoteSeq) shown.textContent = "—";
      }
    }, 120);
  }

  $("refund-all").addEventListener("click", () => {
    for (const input of $("refund-body").querySelectorAll("input:not([disabled])")) input.value = input.dataset.left;
    quoteRefund();
    $("refund-reason").focus();
  });

  function showRefundSlip(text) {
    $("refund-slip").textContent = text;
    C.show($("refund-slip"), !!text);
  }

  $("refund-find").addEventListener("submit", (event) => {
    event.preventDefault();
    findRefund();
  });

  /** Today on the shop's own calendar (its time zone, as its business days are): YYYY-MM-DD. */
  function today() {
    const d = new Date();
    try {
      const parts = new Intl.DateTimeFormat("en-CA", {
        timeZone: state.timezone || undefined, year: "numeric", month: "2-digit", day: "2-digit",
      }).formatToParts(d);
      const get = (type) => (parts.find((p) => p.type === type) || {}).value;
      if (get("year") && get("month") && get("day")) return `${get("year")}-${get("month")}-${get("day")}`;
    } catch (e) {
      /* an unknown zone: this screen's own calendar */
    }
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  }

  /** GET /sales?day=…: the day's completed sales; one is opened by its receipt number. */
  $("refund-day-find").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const day = $("refund-day").value;
    say($("refund-error"), "");
    say($("refund-done"), "");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      say($("refund-error"), "Choose the day of the sale.");
      $("refund-day").focus();
      return;
    }
    state.busy = true;
    try {
      // A busy day is more than one page: all of it, so the last sales are there too.
      const found = { sales: [] };
      for (let offset = 0; offset != null && found.sales.length < 5000;) {
        const page = await api("GET", "/sales?" + new URLSearchParams({ day, offset: String(offset) }));
        found.sales.push(...page.sales);
        offset = page.next_offset;
      }
      const body = $("refund-day-body");
      body.replaceChildren();
      for (const s of found.sales) {
        const open = el("button", { type: "button", "aria-label": `Open receipt ${s.receipt_number}` }, "Open");
        open.addEventListener("click", () => {
          $("refund-receipt").value = s.receipt_number;
          C.show($("refund-day-box"), false);
          findRefund();
        });
        body.append(el("tr", {},
          el("td", {}, s.receipt_number),
          el("td", {}, s.completed_at ? clock(s.completed_at) : "—"),
          el("td", {}, s.cashier || ""),
          el("td", { class: "num" }, fmt(s.total)),
          el("td", {}, open)));
      }
      C.show($("refund-form"), false);
      C.show($("refund-submit"), false);
      C.show($("refund-day-box"), found.sales.length > 0);
      C.show($("refund-day-empty"), found.sales.length === 0);
      const first = body.querySelector("button");
      if (first) first.focus();
    } catch (err) {
      say($("refund-error"), err.message);
    } finally {
      state.busy = false;
    }
  });

  $("refund-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const sale = state.refundSale;
    if (state.busy || !sale) return;
    const { lines, bad } = refundLines();
    if (bad) {
      say($("refund-error"), `Return between 0 and ${bad.dataset.left} of line ${bad.dataset.line}.`);
      bad.focus();
      return;
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
    const json = { lines, reason };
    if ($("refund-to-credit").checked) json.refund_to = "gift_card";
    state.busy = true;
    say($("refund-error"), "");
    const answer = await withApproval(refundApproval, returnPermission(!!json.refund_to, "refund"), $("refund-error"),
      (headers) => api("POST", `/sales/${sale.id}/refunds`, {
        json, headers: { ...headers, "Idempotency-Key": state.refundKey },
      }),
      (err) => err.code === "forbidden");
    state.busy = false;
    if (!answer) return;
    // Cash goes back in whole coins: a cash tender's rounding says what leaves the drawer.
    const back = answer.tenders.map((t) => (t.rounding
      ? `${fmt(t.amount + t.rounding)} to cash (${fmt(t.amount)} rounded)`
      : `${fmt(t.amount)} to ${t.method.replace("_", " ")}`)).join(", ");
    refundApproval.reset();
    showRefundSale(answer.sale);
    C.show($("refund-form"), false);
    C.show($("refund-submit"), false);
    const amount = C.money(answer.amount, answer.currency || state.currency);
    const done = answer.gift_card
      ? `Store credit of ${amount} on gift card ${answer.gift_card.code}. Give the customer this number.`
      : `Refunded ${amount}: ${back}.`;
    say($("refund-done"), done);
    announce(done);
    // The refund's own slip, as it is printing: what the customer takes away.
    try {
      showRefundSlip(await api("GET", `/refunds/${answer.id}/slip?format=text`, { text: true }));
    } catch (err) {
      say($("refund-error"), "The refund is done but its slip could not be shown: " + err.message);
    }
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
      say($("card-error"), amount === null ? amountError(amountText)
        : `The card amount must be more than 0 and at most ${C.moneyLocal(due, state.currency)}.`);
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
      // payment_pending: the outcome is unknown; a retry must keep the same key.
      if (err.status !== 0 && err.code !== "payment_pending") {
        state.tender = null; // a real answer: the next try is a new payment
      }
      if (err.status !== 0) $("card-number").value = ""; // no card number left on screen
      say($("card-progress"), "");
      say($("card-error"), SHIFT_WORDS[err.code] || cardWords(err));
      if (err.code === "sale_paid" || err.code === "payment_pending") await reload();
    } finally {
      state.busy = false;
      for (const b of $("card-dialog").querySelectorAll("button")) b.disabled = false;
    }
  });

  /* -- the customer on the sale ------------------------------------------------------------ */

  /** The customer and gift cards of a sale live on this screen (the sale's view does not
   * carry them): kept per sale id in sessionStorage, so a reload or a resume finds them. */
  function loadExtras(id) {
    try {
      const all = JSON.parse(sessionStorage.getItem(EXTRAS_KEY) || "{}");
      return (all && all[id]) || {};
    } catch (e) {
      return {};
    }
  }

  function saveExtras() {
    if (!state.sale) return;
    try {
      const all = JSON.parse(sessionStorage.getItem(EXTRAS_KEY) || "{}") || {};
      all[state.sale.id] = { customer: state.customer, cards: state.giftCards };
      const ids = Object.keys(all).map(Number).sort((a, b) => a - b);
      for (const old of ids.slice(0, Math.max(ids.length - 20, 0))) delete all[old]; // parked sales are few
      sessionStorage.setItem(EXTRAS_KEY, JSON.stringify(all));
    } catch (e) {
      /* kept for this page only */
    }
  }

  function forgetExtras(id) {
    try {
      const all = JSON.parse(sessionStorage.getItem(EXTRAS_KEY) || "{}") || {};
      delete all[id];
      sessionStorage.setItem(EXTRAS_KEY, JSON.stringify(all));
    } catch (e) {
      /* nothing kept */
    }
  }

  function pointsWords(c) {
    return `${c.points} point${c.points === 1 ? "" : "s"}, worth ${C.money(c.points_value, state.currency)}`;
  }

  function renderCustomer() {
    const c = state.customer;
    C.show($("customer-box"), !!c && !state.done); // on the receipt screen, the points note says it
    if (!c) return;
    $("customer-name").textContent = c.name;
    $("customer-points").textContent = pointsWords(c);
  }

  function setCustomer(customer) {
    state.customer = customer || null;
    if (state.sale) state.extrasFor = state.sale.id;
    saveExtras();
    render();
  }

  /** The customer's points as they stand now (after a redemption, or the sale's earning). */
  async function refreshCustomer() {
    if (!state.customer) return null;
    try {
      const fresh = await api("GET", `/customers/${state.customer.id}`);
      if (state.customer && state.customer.id === fresh.id) setCustomer(fresh);
      return fresh;
    } catch (e) {
      return null; // the points on screen stay as they were
    }
  }

  function openCustomer() {
    if (state.busy || $("customer-button").disabled) return;
    if (state.done) newSale({ keepFocus: true }); // the customer of the next sale
    say($("customer-done"), "");
    $("customer-q").value = "";
    $("customer-body").replaceChildren();
    C.show($("customer-table"), false);
    C.show($("customer-none"), false);
    showEnrol(false);
    renderCustomerCurrent();
    C.openDialog($("customer-dialog"), $("customer-q"));
  }

  function renderCustomerCurrent() {
    const c = state.customer;
    C.show($("customer-current"), !!c);
    if (c) $("customer-current-text").textContent = `On this sale: ${c.name}, ${pointsWords(c)}.`;
  }

  function showEnrol(open) {
    C.show($("customer-new-form"), open);
    $("customer-new-toggle").setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) return;
    const q = $("customer-q").value.trim();
    $("customer-new-name").value = q && !/[@\d]/.test(q) ? q : "";
    $("customer-new-email").value = q.includes("@") ? q : "";
    $("customer-new-phone").value = /^\+?[\d\s().-]{6,}$/.test(q) ? q : "";
    $("customer-new-consent").checked = false;
    $("customer-new-name").focus();
  }

  $("customer-new-toggle").addEventListener("click", () => showEnrol($("customer-new-form").hidden));

  $("customer-find").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const q = $("customer-q").value.trim();
    say($("customer-error"), "");
    say($("customer-done"), "");
    if (!q) {
      say($("customer-error"), "Type a phone number, an email or the start of a name.");
      $("customer-q").focus();
      return;
    }
    state.busy = true;
    try {
      const found = await api("GET", "/customers?" + new URLSearchParams({ q }));
      const body = $("customer-body");
      body.replaceChildren();
      for (const c of found.customers) {
        const pick = el("button", { type: "button", class: "primary", "aria-label": `Name ${c.name} on the sale` }, "Choose");
        pick.addEventListener("click", () => attachCustomer(c.id, c.name));
        body.append(el("tr", {},
          el("td", {}, c.name),
          // The till gets a hint (the phone's last digits), never the contact details themselves.
          el("td", {}, c.contact_hint || "—"),
          el("td", { class: "num" }, String(c.points)),
          el("td", {}, pick)));
      }
      const any = found.customers.length > 0;
      C.show($("customer-table"), any);
      C.show($("customer-none"), !any);
      const first = body.querySelector("button");
      if (first) first.focus();
    } catch (err) {
      say($("customer-error"), err.message);
    } finally {
      state.busy = false;
    }
  });

  /** PUT /sales/{id}/customer: names (or, with null, clears) the customer of the open sale. */
  async function attachCustomer(id, name) {
    if (state.busy) return;
    state.busy = true;
    say($("customer-error"), "");
    try {
      const sale = await ensureSale();
      const answer = await api("PUT", `/sales/${sale.id}/customer`, { json: { customer_id: id } });
      const customer = answer.customer || null;
      delete answer.customer;
      setSale(answer);
      setCustomer(customer);
      C.closeDialog($("customer-dialog"));
      announce(customer ? `${customer.name} named on the sale: ${pointsWords(customer)}.` : `${name || "The customer"} taken off the sale.`);
    } catch (err) {
      say($("customer-error"), err.message);
    } finally {
      state.busy = false;
    }
  }

  $("customer-clear").addEventListener("click", () => {
    if (state.customer) attachCustomer(null, state.customer.name);
  });

  $("customer-new-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const name = $("customer-new-name").value.trim();
    if (!name) {
      say($("customer-error"), "Type the customer's name.");
      $("customer-new-name").focus();
      return;
    }
    state.busy = true;
    say($("customer-error"), "");
    let created = null;
    try {
      created = await api("POST", "/customers", {
        json: {
          name,
          email: $("customer-new-email").value.trim() || null,
          phone: $("customer-new-phone").value.trim() || null,
          consent: $("customer-new-consent").checked,
        },
      });
    } catch (err) {
      say($("customer-error"), err.message);
    } finally {
      state.busy = false;
    }
    if (created) await attachCustomer(created.id, created.name);
  });

  /** After the sale: the points it earned the customer (from their purchase history). */
  async function showPointsEarned(sale) {
    const c = state.customer;
    if (!c) return;
    const still = () => state.done && state.sale && state.sale.id === sale.id;
    try {
      const history = await api("GET", `/customers/${c.id}/purchases?limit=20`);
      const fresh = await api("GET", `/customers/${c.id}`);
      if (!still()) return;
      const mine = history.purchases.find((p) => p.sale_id === sale.id);
      const earned = mine ? mine.points_earned : 0;
      setCustomer(fresh);
      $("loyalty-note").textContent = `${fresh.name} earned ${earned} point${earned === 1 ? "" : "s"}; ` +
        `balance ${pointsWords(fresh)}.`;
      C.show($("loyalty-note"), true);
      announce(`${fresh.name} earned ${earned} points.`);
    } catch (e) {
      if (still()) {
        $("loyalty-note").textContent = `Points for ${c.name} could not be read: ${e.message}`;
        C.show($("loyalty-note"), true);
      }
    }
  }

  /* -- gift cards: sold or topped up on the sale; the new numbers at the end -------------- */

  function openGiftSell() {
    if (state.busy || $("giftsell-button").disabled) return;
    if (state.done) newSale({ keepFocus: true });
    $("giftsell-new").checked = true;
    $("giftsell-code").value = "";
    $("giftsell-amount").value = "";
    giftSellKind();
    C.openDialog($("giftsell-dialog"), $("giftsell-amount"));
  }

  function giftSellKind() {
    const topUp = $("giftsell-topup").checked;
    C.show($("giftsell-code-box"), topUp);
    $("giftsell-title").textContent = topUp ? "Top up a gift card" : "Sell a gift card";
  }
  for (const radio of document.querySelectorAll("input[name=giftsell-kind]")) {
    radio.addEventListener("change", () => {
      giftSellKind();
      if ($("giftsell-topup").checked) $("giftsell-code").focus();
    });
  }

  $("giftsell-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const topUp = $("giftsell-topup").checked;
    const code = $("giftsell-code").value.trim();
    const text = $("giftsell-amount").value.trim();
    const amount = C.parseAmount(text, state.currency);
    if (topUp && !code) {
      say($("giftsell-error"), "Type or scan the number of the card to top up.");
      $("giftsell-code").focus();
      return;
    }
    if (amount === null || amount <= 0) {
      say($("giftsell-error"), amount === 0 ? "The amount must be more than 0." : amountError(text));
      $("giftsell-amount").focus();
      return;
    }
    state.busy = true;
    say($("giftsell-error"), "");
    try {
      const sale = await ensureSale();
      // The same card pressed again after a lost answer is the same request: the key makes sure
      // the sale gets one card, not two.
      const what = JSON.stringify([sale.id, amount, topUp ? code : null]);
      if (!state.giftSellKey || state.giftSellKey.what !== what) state.giftSellKey = { what, key: C.uuid() };
      const answer = await api("POST", `/sales/${sale.id}/gift-cards`, {
        json: topUp ? { amount, code } : { amount },
        headers: { "Idempotency-Key": state.giftSellKey.key },
      });
      state.giftSellKey = null;
      const card = answer.gift_card;
      delete answer.gift_card;
      setSale(answer, { select: card ? card.line : state.selected });
      if (card) {
        state.giftCards.push(card);
        saveExtras();
      }
      C.closeDialog($("giftsell-dialog"));
      announce(`${topUp ? "Gift card top-up" : "Gift card"} of ${fmt(amount)} added. Total ${fmt(answer.totals.total)}.`);
    } catch (err) {
      say($("giftsell-error"), err.message);
    } finally {
      state.busy = false;
    }
  });

  /** The numbers of the cards this sale sold or topped up (lines voided since are left out). */
  function showCardsIssued(sale) {
    const live = new Set(sale.lines.filter((l) => !l.voided).map((l) => l.line));
    const cards = state.giftCards.filter((c) => live.has(c.line));
    const list = $("cards-issued-list");
    list.replaceChildren();
    for (const c of cards) {
      list.append(el("li", {}, c.kind === "top_up" ? "Topped up " : "New card ",
        el("strong", { class: "card-code" }, c.code), `: ${C.money(c.amount, state.currency)} loaded`));
    }
    C.show($("cards-issued"), cards.length > 0);
  }

  /* -- gift card and points tenders -------------------------------------------------------- */

  /** One Idempotency-Key per tender attempt; a retry of the same one after a failure with no
   * answer (the network) reuses it, any real answer makes the next try a new payment. */
  function tenderKey(method, amount, extra) {
    const t = state.tender;
    if (!t || t.amount !== amount || t.sale !== state.sale.id || t.method !== method || t.extra !== extra) {
      state.tender = { amount, sale: state.sale.id, method, extra, key: C.uuid() };
    }
    return state.tender.key;
  }

  async function payOther(dialog, method, amount, json, extra, onPart) {
    state.busy = true;
    const buttons = dialog.querySelectorAll("button");
    for (const b of buttons) b.disabled = true;
    const errorNode = dialog.querySelector("[role=alert]");
    say(errorNode, "");
    try {
      const sale = await api("POST", `/sales/${state.sale.id}/payments`, {
        json: { method, amount, ...json },
        headers: { "Idempotency-Key": tenderKey(method, amount, extra) },
      });
      state.tender = null;
      if (sale.status === "completed") {
        C.closeDialog(dialog);
        await completed(sale);
      } else {
        setSale(sale);
        await onPart(sale);
      }
      return true;
    } catch (err) {
      if (err.status !== 0) state.tender = null;
      say(errorNode, words(err));
      if (err.code === "sale_paid") await reload();
      return false;
    } finally {
      state.busy = false;
      for (const b of buttons) b.disabled = false;
    }
  }

  function openGift() {
    if ($("gift-button").disabled || state.busy) return;
    const due = state.sale.totals.due;
    $("gift-due").textContent = C.money(due, state.currency);
    $("gift-amount").value = C.formatAmount(due, state.currency).replace(/,/g, "");
    $("gift-code").value = "";
    say($("gift-balance"), "");
    C.openDialog($("gift-dialog"), $("gift-code"));
  }

  async function checkGiftBalance() {
    const code = $("gift-code").value.trim();
    say($("gift-error"), "");
    if (!code) {
      say($("gift-error"), "Type or scan the gift card's number.");
      $("gift-code").focus();
      return;
    }
    if (state.busy) return;
    state.busy = true;
    try {
      const card = await api("POST", "/gift-cards/balance", { json: { code } });
      let note = `Card ${card.code}: balance ${C.money(card.balance, card.currency || state.currency)}`;
      if (card.expired) note += " (expired)";
      else if (card.status !== "active") note += ` (${card.status === "pending" ? "not active yet" : card.status})`;
      say($("gift-balance"), note + ".");
      const due = state.sale ? state.sale.totals.due : 0;
      if (card.status === "active" && !card.expired && card.balance > 0) {
        $("gift-amount").value = C.formatAmount(Math.min(due, card.balance), state.currency).replace(/,/g, "");
      }
    } catch (err) {
      say($("gift-balance"), "");
      say($("gift-error"), err.message);
    } finally {
      state.busy = false;
    }
  }
  $("gift-check").addEventListener("click", checkGiftBalance);

  $("gift-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy || !state.sale) return;
    const code = $("gift-code").value.trim();
    const text = $("gift-amount").value.trim();
    const amount = C.parseAmount(text, state.currency);
    const due = state.sale.totals.due;
    if (!code) {
      say($("gift-error"), "Type or scan the gift card's number.");
      $("gift-code").focus();
      return;
    }
    if (amount === null || amount <= 0 || amount > due) {
      say($("gift-error"), amount === null ? amountError(text)
        : `The amount must be more than 0 and at most ${C.moneyLocal(due, state.currency)}.`);
      $("gift-amount").focus();
      return;
    }
    await payOther($("gift-dialog"), "gift_card", amount, { gift_card: code }, code, (sale) => {
      $("gift-due").textContent = C.money(sale.totals.due, state.currency);
      $("gift-amount").value = C.formatAmount(sale.totals.due, state.currency).replace(/,/g, "");
      $("gift-code").value = "";
      say($("gift-balance"), `${fmt(amount)} taken from the card; ${C.money(sale.totals.due, state.currency)} still due.`);
      $("gift-code").focus();
    });
  });

  async function openPoints() {
    if (state.busy || !state.sale || state.done) return;
    if (!state.customer) {
      if (state.sale.status === "open" && state.sale.totals.due > 0) {
        showError("Name the customer on the sale first (Customer, Alt+U): the points are theirs.");
      }
      return;
    }
    if ($("points-button").disabled) return;
    const due = state.sale.totals.due;
    $("points-due").textContent = C.money(due, state.currency);
    $("points-balance").textContent = `${state.customer.name}: ${pointsWords(state.customer)}.`;
    $("points-amount").value = "";
    C.openDialog($("points-dialog"), $("points-amount"));
    const fresh = await refreshCustomer();
    if (fresh && $("points-dialog").open) {
      $("points-balance").textContent = `${fresh.name}: ${pointsWords(fresh)}.`;
      if (!$("points-amount").value) {
        $("points-amount").value = C.formatAmount(Math.min(due, fresh.points_value), state.currency).replace(/,/g, "");
        $("points-amount").select();
      }
    }
  }

  $("points-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy || !state.sale || !state.customer) return;
    const text = $("points-amount").value.trim();
    const amount = C.parseAmount(text, state.currency);
    const due = state.sale.totals.due;
    if (amount === null || amount <= 0 || amount > due) {
      say($("points-error"), amount === null ? amountError(text)
        : `The amount must be more than 0 and at most ${C.moneyLocal(due, state.currency)}.`);
      $("points-amount").focus();
      return;
    }
    const ok = await payOther($("points-dialog"), "loyalty", amount, {}, String(state.customer.id), async (sale) => {
      $("points-due").textContent = C.money(sale.totals.due, state.currency);
      C.closeDialog($("points-dialog"));
      announce(`${fmt(amount)} paid with points; ${C.money(sale.totals.due, state.currency)} still due.`);
    });
    if (ok) await refreshCustomer();
    else $("points-amount").focus();
  });

  /* -- returns without a receipt ------------------------------------------------------------ */

  const noreceiptApproval = approvalBox("noreceipt");

  const mayGiveCredit = () => !!(state.me && state.me.permissions.includes("store_credit"));

  function creditHint(hint) {
    const allowed = mayGiveCredit();
    $(hint).textContent = allowed ? "" : "Store credit needs a manager's approval at this till.";
    C.show($(hint), !allowed);
  }

  /** The approval to ask for: a manager's for store credit covers the return it is. */
  function returnPermission(credit, plain) {
    return credit && !mayGiveCredit() ? "store_credit" : plain;
  }

  function openNoReceipt() {
    if (state.busy) return;
    C.closeDialog($("refund-dialog"));
    state.noreceipt = [];
    state.noreceiptKey = null;
    noreceiptApproval.reset();
    renderNoReceipt();
    $("noreceipt-code").value = "";
    $("noreceipt-qty").value = "1";
    $("noreceipt-reason").value = "";
    $("noreceipt-to-cash").checked = true;
    creditHint("noreceipt-to-hint");
    say($("noreceipt-done"), "");
    $("noreceipt-submit").disabled = false;
    C.openDialog($("noreceipt-dialog"), $("noreceipt-code"));
    if (state.me && !state.me.permissions.includes("return_without_receipt")) {
      noreceiptApproval.ask(`The ${state.me.role} role may not take returns without a receipt; a supervisor can approve it.`);
      $("noreceipt-code").focus();
    }
  }

  function renderNoReceipt() {
    const body = $("noreceipt-body");
    body.replaceChildren();
    state.noreceipt.forEach((item, i) => {
      const price = el("input", {
        class: "qty-input price-input", inputmode: "decimal", autocomplete: "off", maxlength: "12",
        value: C.formatAmount(item.price, state.currency).replace(/,/g, ""),
        "aria-label": `Refund price of ${item.product.name} (${state.currency})`,
      });
      price.addEventListener("input", () => {
        item.priceText = price.value;
      });
      if (item.priceText !== undefined) price.value = item.priceText;
      const drop = el("button", { type: "button", class: "ghost", "aria-label": `Remove ${item.product.name}` }, "Remove");
      drop.addEventListener("click", () => {
        state.noreceipt.splice(i, 1);
        renderNoReceipt();
        $("noreceipt-code").focus();
      });
      body.append(el("tr", {},
        el("td", {}, item.product.name, el("span", { class: "sku" }, " " + item.product.sku)),
        el("td", { class: "num" }, String(item.quantity)),
        el("td", { class: "num" }, fmt(item.product.price)),
        el("td", { class: "num" }, price),
        el("td", {}, drop)));
    });
    C.show($("noreceipt-table"), state.noreceipt.length > 0);
  }

  async function findProduct(code) {
    if (/^\d+$/.test(code)) {
      const byBarcode = await api("GET", "/products?" + new URLSearchParams({ barcode: code }));
      if (byBarcode.products.length) return byBarcode.products[0];
    }
    const found = await api("GET", "/products?" + new URLSearchParams({ q: code }));
    const exact = found.products.find((p) => p.sku.toUpperCase() === code.toUpperCase());
    return exact || (found.products.length === 1 ? found.products[0] : null);
  }

  $("noreceipt-add").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const code = $("noreceipt-code").value.trim();
    const qtyText = $("noreceipt-qty").value.trim() || "1";
    say($("noreceipt-error"), "");
    if (!code) {
      say($("noreceipt-error"), "Scan or type the item's barcode or SKU.");
      $("noreceipt-code").focus();
      return;
    }
    if (!/^\d{1,5}$/.test(qtyText) || Number(qtyText) < 1) {
      say($("noreceipt-error"), "The quantity is a whole number, 1 or more.");
      $("noreceipt-qty").focus();
      return;
    }
    state.busy = true;
    try {
      const product = await findProduct(code);
      if (!product) {
        say($("noreceipt-error"), `No item has the code ${code}.`);
        return;
      }
      state.noreceipt.push({ product, quantity: Number(qtyText), price: product.price });
      renderNoReceipt();
      $("noreceipt-code").value = "";
      $("noreceipt-qty").value = "1";
    } catch (err) {
      say($("noreceipt-error"), err.message);
    } finally {
      state.busy = false;
      $("noreceipt-code").focus();
    }
  });

  $("noreceipt-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    if (!state.noreceipt.length) {
      say($("noreceipt-error"), "Add the items that come back first.");
      $("noreceipt-code").focus();
      return;
    }
    const lines = [];
    for (const item of state.noreceipt) {
      const text = item.priceText === undefined ? null : item.priceText.trim();
      const price = text === null ? item.product.price : C.parseAmount(text, state.currency);
      if (price === null || price > item.product.price) {
        say($("noreceipt-error"), `${item.product.name}: the refund price is an amount up to the shelf price ${fmt(item.product.price)}.`);
        return;
      }
      const line = { sku: item.product.sku, quantity: item.quantity };
      if (price !== item.product.price) line.unit_price = price;
      lines.push(line);
    }
    const reason = $("noreceipt-reason").value.trim();
    if (reason.length < 3) {
      say($("noreceipt-error"), "Say why the items come back (3 characters or more).");
      $("noreceipt-reason").focus();
      return;
    }
    const refundTo = $("noreceipt-to-credit").checked ? "gift_card" : "cash";
    if (!state.noreceiptKey) state.noreceiptKey = C.uuid();
    state.busy = true;
    say($("noreceipt-error"), "");
    let answer = null;
    try {
      answer = await withApproval(noreceiptApproval, returnPermission(refundTo === "gift_card", "return_without_receipt"),
        $("noreceipt-error"),
        (headers) => api("POST", "/returns", {
          json: { lines, reason, refund_to: refundTo },
          headers: { ...headers, "Idempotency-Key": state.noreceiptKey },
        }).catch((err) => {
          if (err.status !== 0) state.noreceiptKey = null; // a real answer: the next try is new
          throw err;
        }),
        (err) => err.code === "forbidden");
    } finally {
      state.busy = false;
    }
    if (!answer) return;
    state.noreceiptKey = null;
    noreceiptApproval.reset();
    state.noreceipt = [];
    renderNoReceipt();
    const amount = C.money(answer.amount, answer.currency || state.currency);
    const done = answer.gift_card
      ? `Store credit of ${amount} on gift card ${answer.gift_card.code}. Give the customer this number.`
      : `Refunded ${amount} in cash.`;
    say($("noreceipt-done"), done);
    announce(done);
    $("noreceipt-submit").disabled = true;
    $("noreceipt-dialog").querySelector(".close-dialog").focus();
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
      state.printerInfo = p;
      const waiting = (p.jobs || []).length;
      $("printer-count").textContent = String(waiting);
      C.show($("printer-button"), waiting > 0 || !!p.problem);
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

  /* -- shifts and cash-up ------------------------------------------------------------------ */

  const SHIFT_WORDS = {
    drawer_in_use: "This drawer is in another operator's shift: they (or a manager) must close it before you take cash here.",
    no_open_shift: "No shift is open on this drawer: open one (Shift, Alt+S) with a counted float before taking cash.",
    shift_closed: "The shift was closed meanwhile.",
  };

  /** An API error in the till's words (the shift and drawer ones are spelt out). */
  function words(err) {
    return SHIFT_WORDS[err.code] || err.message;
  }

  const countApproval = approvalBox("count");

  /** GET /shifts/current → state.shift: {open, mine, operator, …} or {open: false} or {inUse}. */
  async function refreshShift() {
    let shift;
    try {
      const s = await api("GET", "/shifts/current");
      shift = { ...s, open: true, mine: state.me && s.operator === state.me.username };
    } catch (err) {
      if (err.code === "no_open_shift") shift = { open: false };
      else if (err.code === "drawer_in_use") shift = { open: true, mine: false, operator: null };
      else shift = { unknown: true, message: err.message };
    }
    state.shift = shift;
    if (shift.denominations) state.denominations = shift.denominations;
    let text = "Shift: unknown";
    let mood = "unknown";
    if (shift.open && shift.mine) {
      text = `Shift: open (${shift.operator})`;
      mood = "ok";
    } else if (shift.open) {
      text = shift.operator ? `Shift: ${shift.operator}'s` : "Shift: another operator's";
      mood = "warn";
    } else if (shift.open === false) {
      text = "Shift: none open";
    }
    setStatus("shift-button", "shift-text", mood, text);
    return shift;
  }

  function shiftPane(name) {
    state.shiftPane = name;
    const titles = {
      menu: "Shift", open: "Open a shift", close: "Close the shift: count the drawer", paid_in: "Paid in",
      paid_out: "Paid out", x: "X report", z: "Z report", busy: "Shift",
    };
    $("shift-title").textContent = titles[name] || "Shift";
    C.show($("shift-menu"), name === "menu");
    C.show($("count-form"), name === "open" || name === "close");
    C.show($("count-submit"), name === "open" || name === "close");
    C.show($("move-form"), name === "paid_in" || name === "paid_out");
    C.show($("move-submit"), name === "paid_in" || name === "paid_out");
    C.show($("report-view"), name === "x" || name === "z");
    C.show($("shift-back"), ["paid_in", "paid_out", "x", "close"].includes(name));
    say($("shift-error"), "");
    if (name !== "z" && name !== "menu") say($("shift-done"), "");
  }

  function shiftSummary(shift) {
    if (shift.unknown) return `The shift could not be read: ${shift.message}`;
    if (!shift.open) return "No shift is open on this drawer. Count the float to open one.";
    if (!shift.operator) return SHIFT_WORDS.drawer_in_use;
    const since = clock(shift.opened_at);
    const who = shift.mine ? "you" : shift.operator;
    return `Shift ${shift.id}, opened by ${who} at ${since} with a float of ${C.money(shift.opening_float, state.currency)}.`;
  }

  /** The currency's notes and coins. GET /shifts/current gives them only while a shift is
   * open; before one, a count that cannot be valid ({"0": 0}) is refused with the list in
   * its message, and nothing is written. Without a list, the count is one amount ("total"). */
  async function loadDenominations() {
    if (state.denominations) return state.denominations;
    try {
      await api("POST", "/shifts", { json: { count: { 0: 0 } } });
    } catch (err) {
      const m = /\(([\d, ]+)\)\s*$/.exec(err.message);
      if (err.code === "invalid_count") state.denominations = m ? m[1].split(",").map((d) => Number(d.trim())) : [];
    }
    return state.denominations || [];
  }

  async function openShift() {
    if (state.busy) return;
    say($("shift-done"), "");
    C.openDialog($("shift-dialog"), $("shift-dialog").querySelector(".close-dialog"));
    shiftPane("busy");
    $("shift-summary").textContent = "Reading the drawer's shift…";
    const shift = await refreshShift();
    $("shift-summary").textContent = shiftSummary(shift);
    if (shift.unknown || (shift.open && !shift.operator)) {
      shiftPane("busy");
      return;
    }
    if (!shift.open) {
      await loadDenominations();
      startCount("open");
      return;
    }
    shiftPane("menu");
    $("shift-paid-in").focus();
  }

  /** The count by denomination, as pieces; a currency without a list takes one amount. */
  function startCount(kind) {
    shiftPane(kind);
    countApproval.reset();
    const grid = $("count-grid");
    grid.replaceChildren();
    const list = state.denominations || [];
    if (list.length) {
      for (const d of list) {
        const id = `count-${d}`;
        grid.append(el("div", { class: "count-cell" },
          el("label", { for: id }, `${fmt(d)} ×`, el("span", { class: "sr-only" }, ` pieces of ${fmt(d)} ${state.currency}`)),
          el("input", { id, inputmode: "numeric", autocomplete: "off", maxlength: "5", "data-denomination": String(d), value: "" })));
      }
    } else {
      grid.append(el("div", { class: "count-cell" },
        el("label", { for: "count-total-amount" }, `Cash counted (${state.currency})`),
        el("input", { id: "count-total-amount", inputmode: "decimal", autocomplete: "off", maxlength: "14", "data-total": "1" })));
    }
    $("count-hint").textContent = kind === "open"
      ? "Count the float in the drawer: how many of each note and coin."
      : "Count the cash in the drawer: how many of each note and coin. The expected amount is shown only after you count.";
    $("count-submit").textContent = kind === "open" ? "Open shift" : "Count and close";
    $("count-submit").className = kind === "open" ? "primary big" : "danger big";
    updateCountTotal();
    const first = grid.querySelector("input");
    if (first) first.focus();
  }

  /** {count, total} from the grid; null (with the error said) when a field is not a number. */
  function readCount() {
    const count = {};
    let total = 0;
    for (const input of $("count-grid").querySelectorAll("input")) {
      const text = input.value.trim();
      if (input.dataset.total) {
        const amount = text ? C.parseAmount(text, state.currency) : 0;
        if (amount === null) return null;
        count.total = amount;
        total += amount;
        continue;
      }
      if (text && !/^\d{1,5}$/.test(text)) return null;
      const pieces = Number(text || "0");
      count[input.dataset.denomination] = pieces;
      total += pieces * Number(input.dataset.denomination);
    }
    return { count, total };
  }

  function updateCountTotal() {
    const read = readCount();
    $("count-total").textContent = read ? C.money(read.total, state.currency) : "—";
  }
  $("count-grid").addEventListener("input", updateCountTotal);

  /** "counted 1200, expected 2000: a variance of -800 is over the limit of 500; …" in money. */
  function varianceWords(message) {
    const m = /counted (-?\d+), expected (-?\d+): a variance of (-?\d+) is over the limit of (\d+)/i.exec(message);
    if (!m) return message;
    const [counted, expected, off, limit] = m.slice(1).map(Number);
    const side = off < 0 ? "short" : "over";
    return `Counted ${C.money(counted, state.currency)}, expected ${C.money(expected, state.currency)}: ` +
      `${C.money(Math.abs(off), state.currency)} ${side}, more than the limit of ${C.money(limit, state.currency)}. ` +
      "A manager must approve the close.";
  }

  $("count-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const read = readCount();
    if (!read) {
      say($("shift-error"), "Type each count as a whole number of pieces (or leave it empty for none).");
      return;
    }
    const kind = state.shiftPane;
    state.busy = true;
    say($("shift-error"), "");
    try {
      if (kind === "open") {
        const shift = await api("POST", "/shifts", { json: { count: read.count } });
        await refreshShift();
        $("shift-summary").textContent = shiftSummary(state.shift);
        shiftPane("menu");
        say($("shift-done"), `Shift open with a float of ${C.money(shift.opening_float, state.currency)}.`);
        announce("Shift open.");
        $("shift-paid-in").focus();
        return;
      }
      let headers = {};
      if (countApproval.asked) headers = await countApproval.headers("approve_variance");
      const z = await api("POST", "/shifts/current/close", { json: { count: read.count }, headers });
      countApproval.reset();
      showReport(z);
      await refreshShift();
      $("shift-summary").textContent = `Shift ${z.shift} closed.`;
      announce("Shift closed. The Z report is on screen.");
    } catch (err) {
      if (err.code === "variance_needs_manager" && !countApproval.asked) {
        for (const input of $("count-grid").querySelectorAll("input")) input.readOnly = true; // the count stands
        countApproval.ask(varianceWords(err.message));
        $("count-submit").textContent = "Approve and close";
      } else {
        const refused = err.code === "forbidden" && countApproval.asked;
        say($("shift-error"), refused ? `${$("count-approval-username").value.trim()} may not approve a variance: ask a manager.` : words(err));
        if (countApproval.asked) countApproval.focusPassword();
        if (err.code === "no_open_shift" || err.code === "drawer_in_use") refreshShift();
      }
    } finally {
      state.busy = false;
    }
  });

  function startMove(kind) {
    shiftPane(kind);
    $("move-amount").value = "";
    $("move-reason").value = "";
    $("move-submit").textContent = kind === "paid_in" ? "Record paid in" : "Record paid out";
    $("move-amount").focus();
  }

  $("move-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const kind = state.shiftPane;
    const text = $("move-amount").value.trim();
    const amount = C.parseAmount(text, state.currency);
    if (amount === null || amount <= 0) {
      say($("shift-error"), amount === 0 ? "The amount must be more than 0." : amountError(text));
      $("move-amount").focus();
      return;
    }
    const reason = $("move-reason").value.trim();
    if (reason.length < 3) {
      say($("shift-error"), "Say what the cash was for (3 characters or more).");
      $("move-reason").focus();
      return;
    }
    state.busy = true;
    try {
      await api("POST", `/shifts/current/${kind === "paid_in" ? "paid-in" : "paid-out"}`, { json: { amount, reason } });
      shiftPane("menu");
      say($("shift-done"), `${kind === "paid_in" ? "Paid in" : "Paid out"} ${C.money(amount, state.currency)}: ${reason}.`);
      $("shift-paid-in").focus();
    } catch (err) {
      say($("shift-error"), words(err));
    } finally {
      state.busy = false;
    }
  });

  async function startX() {
    if (state.busy) return;
    state.busy = true;
    try {
      const x = await api("GET", "/shifts/current/x-report");
      showReport(x);
    } catch (err) {
      say($("shift-error"), words(err));
    } finally {
      state.busy = false;
    }
  }

  const TENDER_NAMES = { cash: "Cash", card: "Card", gift_card: "Gift card", loyalty: "Points", store_credit: "Store credit", exchange: "Exchange" };

  /** The X (mid-shift) or Z (close) report as a table. The X report never shows the
   * expected cash, whatever the API gives: the person reading it may count next. */
  function showReport(r) {
    const z = r.kind === "Z";
    shiftPane(z ? "z" : "x");
    const money = (v) => C.money(v || 0, r.currency || state.currency);
    const body = $("report-body");
    body.replaceChildren();
    const group = (title) => body.append(el("tr", { class: "group" }, el("th", { scope: "colgroup", colspan: "2" }, title)));
    const row = (label, value, strong) => body.append(el("tr", { class: strong ? "strong" : "" },
      el("th", { scope: "row" }, label), el("td", { class: "num" }, value)));
    $("report-caption").textContent = `${z ? "Z" : "X"} report, shift ${r.shift}: ${clock(r.opened_at)} to ${clock(r.until)}`;
    if (z) {
      group("Cash count");
      row("Counted", money(r.counted), true);
      row("Expected", money(r.cash.expected), true);
      const off = r.variance || 0;
      row("Variance", off === 0 ? "none" : `${money(Math.abs(off))} ${off < 0 ? "short" : "over"}`, true);
      if (r.approved_by) row("Approved by", r.approved_by);
    }
    group("Sales");
    row("Completed sales", String(r.sales.count));
    row("Sales total", money(r.sales.total));
    row("Tax", money(r.sales.tax));
    row("Discounts", money(r.sales.discount));
    row(`Refunds (${r.refunds.count})`, money(r.refunds.amount));
    row("Voided lines", String(r.voids));
    group("Tenders");
    if (!r.tenders.length) row("No payments", "—");
    for (const t of r.tenders) row(`${TENDER_NAMES[t.method] || t.method.replace(/_/g, " ")} (${t.count})`, money(t.amount));
    group("Cash in the drawer");
    row("Opening float", money(r.cash.opening_float));
    row("Cash sales", money(r.cash.sales));
    row("Cash refunds", money(r.cash.refunds));
    if (r.cash.rounding) row("Cash rounding", money(r.cash.rounding));
    row("Paid in", money(r.cash.paid_in));
    row("Paid out", money(r.cash.paid_out));
    $("report-note").textContent = z
      ? "The Z report is stored with the shift; a manager can read it again in the back office. " +
        "Printing it is not offered: this till's API has no route to print a shift report yet."
      : "Mid-shift figures. The expected cash is left out: it shows only after the closing count.";
    $("shift-dialog").querySelector(".close-dialog").focus();
  }

  $("shift-paid-in").addEventListener("click", () => startMove("paid_in"));
  $("shift-paid-out").addEventListener("click", () => startMove("paid_out"));
  $("shift-x").addEventListener("click", startX);
  $("shift-close").addEventListener("click", () => startCount("close"));
  $("shift-back").addEventListener("click", () => {
    shiftPane("menu");
    $("shift-paid-in").focus();
  });

  /* -- no sale, reprint, the printer's queue ------------------------------------------------ */

  const nosaleApproval = approvalBox("nosale");
  const reprintApproval = approvalBox("reprint");
  const printerApproval = approvalBox("printer");
  const LAST_KEY = "comptoir.last-receipt";

  function openNoSale() {
    if (state.busy) return;
    nosaleApproval.reset();
    $("nosale-reason").value = "";
    say($("nosale-done"), "");
    $("nosale-submit").disabled = false;
    C.openDialog($("nosale-dialog"), $("nosale-reason"));
    if (state.me && !state.me.permissions.includes("no_sale")) {
      nosaleApproval.ask(`The ${state.me.role} role may not open the drawer without a sale; a supervisor can approve it.`);
      $("nosale-reason").focus();
    }
  }

  $("nosale-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const reason = $("nosale-reason").value.trim();
    if (reason.length < 3) {
      say($("nosale-error"), "Say why the drawer opens (3 characters or more).");
      $("nosale-reason").focus();
      return;
    }
    state.busy = true;
    say($("nosale-error"), "");
    const answer = await withApproval(nosaleApproval, "no_sale", $("nosale-error"),
      (headers) => api("POST", "/drawer/open", { json: { reason }, headers }),
      (err) => err.code === "forbidden");
    state.busy = false;
    if (!answer) return;
    nosaleApproval.reset();
    const by = answer.approved_by ? `, approved by ${answer.approved_by}` : "";
    say($("nosale-done"), `Drawer opened${by}.`);
    announce("Drawer opened.");
    $("nosale-dialog").querySelector(".close-dialog").focus();
  });

  function rememberLast(sale) {
    state.lastSale = sale ? { id: sale.id, receipt: sale.receipt_number || "" } : null;
    try {
      if (state.lastSale) sessionStorage.setItem(LAST_KEY, JSON.stringify(state.lastSale));
    } catch (e) {
      /* kept for this page only */
    }
    $("reprint-button").disabled = !state.lastSale;
  }

  function openReprint() {
    if (state.busy || !state.lastSale) return;
    reprintApproval.reset();
    say($("reprint-done"), "");
    $("reprint-sale").textContent = `Receipt ${state.lastSale.receipt || "of sale " + state.lastSale.id}`;
    C.openDialog($("reprint-dialog"), $("reprint-submit"));
    if (state.me && !state.me.permissions.includes("reprint")) {
      reprintApproval.ask(`The ${state.me.role} role may not reprint receipts; a supervisor can approve it.`);
    }
  }

  $("reprint-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy || !state.lastSale) return;
    state.busy = true;
    say($("reprint-error"), "");
    const answer = await withApproval(reprintApproval, "reprint", $("reprint-error"),
      (headers) => api("POST", `/sales/${state.lastSale.id}/reprint`, { json: {}, headers }),
      (err) => err.code === "forbidden");
    state.busy = false;
    if (!answer) return;
    reprintApproval.reset();
    say($("reprint-done"), `A copy of receipt ${state.lastSale.receipt} is printing (job ${answer.job}).`);
    announce("Copy sent to the printer.");
    $("reprint-dialog").querySelector(".close-dialog").focus();
    checkPrinter();
  });

  const JOB_KINDS = { receipt: "Receipt", copy: "Receipt copy", report: "Report", test: "Test page", gift_card: "Gift card slip" };

  function renderPrinterJobs() {
    const info = state.printerInfo || { jobs: [] };
    $("printer-problem").textContent = info.problem ? `Printer problem: ${info.problem}` :
      info.pending ? `${info.pending} waiting to print.` : "The printer is ready.";
    const body = $("printer-body");
    body.replaceChildren();
    for (const job of info.jobs || []) {
      const button = el("button", { type: "button", class: "danger", "aria-label": `Cancel print job ${job.id}` }, "Cancel stuck job");
      button.addEventListener("click", () => cancelJob(job.id));
      body.append(el("tr", {},
        el("td", {}, String(job.id)),
        el("td", {}, `${JOB_KINDS[job.kind] || job.kind}${job.sale_id ? ` (sale ${job.sale_id})` : ""}`),
        el("td", { class: "num" }, String(job.attempts)),
        el("td", {}, job.last_error || "—"),
        el("td", {}, button)));
    }
    const any = (info.jobs || []).length > 0;
    C.show($("printer-table"), any);
    C.show($("printer-empty"), !any);
  }

  async function openPrinterQueue() {
    if (state.busy) return;
    printerApproval.reset();
    say($("printer-done"), "");
    await checkPrinter();
    renderPrinterJobs();
    C.openDialog($("printer-dialog"), $("printer-body").querySelector("button") || $("printer-dialog").querySelector(".close-dialog"));
    if (state.me && !state.me.permissions.includes("reprint") && (state.printerInfo || {}).pending) {
      printerApproval.ask(`Only a supervisor may cancel a print job; the ${state.me.role} role needs their approval.`);
    }
  }

  async function cancelJob(id) {
    if (state.busy) return;
    state.busy = true;
    say($("printer-error"), "");
    const answer = await withApproval(printerApproval, "reprint", $("printer-error"),
      (headers) => api("POST", `/print-jobs/${id}/cancel`, { json: {}, headers }),
      (err) => err.code === "forbidden");
    state.busy = false;
    if (!answer) return;
    printerApproval.reset();
    say($("printer-done"), `Print job ${answer.job} cancelled.`);
    await checkPrinter();
    renderPrinterJobs();
    $("printer-dialog").querySelector(".close-dialog").focus();
  }

  /* -- time clock ---------------------------------------------------------------------------- */

  const CLOCK_WORDS = { off: "not clocked in", working: "working", on_break: "on a break" };
  const CLOCK_SHORT = { off: "off", working: "working", on_break: "on break" };

  function showClock(status) {
    state.clock = status;
    const since = status.since ? ` since ${clock(status.since)}` : "";
    $("clock-state").textContent = `${status.user}: ${CLOCK_WORDS[status.state] || status.state}${since}.`;
    $("clock-label").textContent = `Clock: ${CLOCK_SHORT[status.state] || status.state}`;
    $("clock-in").disabled = status.state !== "off";
    $("break-start").disabled = status.state !== "working";
    $("break-end").disabled = status.state !== "on_break";
    $("clock-out").disabled = status.state === "off";
  }

  async function refreshClock() {
    if (!state.me || !state.me.permissions.includes("clock_in")) {
      C.show($("clock-button"), false);
      return;
    }
    try {
      showClock(await api("GET", "/time-clock"));
      C.show($("clock-button"), true);
    } catch (err) {
      C.show($("clock-button"), err.status !== 404 && err.status !== 403);
    }
  }

  async function openClock() {
    if ($("clock-button").hidden || state.busy) return;
    say($("clock-error"), "");
    C.openDialog($("clock-dialog"), $("clock-dialog").querySelector(".close-dialog"));
    await refreshClock();
    const next = $("clock-dialog").querySelector("[data-action]:not([disabled])");
    if (next) next.focus();
  }

  for (const button of document.querySelectorAll("#clock-dialog [data-action]")) {
    button.addEventListener("click", async () => {
      if (state.busy) return;
      state.busy = true;
      say($("clock-error"), "");
      try {
        showClock(await api("POST", "/time-clock", { json: { action: button.dataset.action } }));
        announce($("clock-state").textContent);
        const next = $("clock-dialog").querySelector("[data-action]:not([disabled])");
        if (next) next.focus();
      } catch (err) {
        say($("clock-error"), err.message);
      } finally {
        state.busy = false;
      }
    });
  }

  /* -- scanners: the keyboard wedge (whatever has the focus) and the backend's stream --------- */

  /** A code from a scanner: an item for the sale, or a receipt to return from. */
  function acceptScan(code) {
    const text = String(code).trim();
    if (!text) return;
    const dialogOpen = document.querySelector("dialog[open]");
    const field = document.activeElement;
    if (dialogOpen && field instanceof HTMLInputElement && field.dataset.takesScan && dialogOpen.contains(field)) {
      field.value = text; // a gift card's number, or an item coming back without a receipt
      if (field === $("noreceipt-code")) $("noreceipt-add").requestSubmit();
      else if (field === $("gift-code")) checkGiftBalance();
      else if (field === $("customer-q")) $("customer-find").requestSubmit(); // a loyalty card's barcode
      return;
    }
    if (RECEIPT_NUMBER.test(text)) {
      if ($("refund-dialog").open) {
        $("refund-receipt").value = text.toUpperCase();
        findRefund();
        return;
      }
      if (!dialogOpen && !state.scanning && !state.queue.length) {
        openRefund(text.toUpperCase());
        return;
      }
    }
    if (state.done) newSale({ keepFocus: !!dialogOpen });
    state.queue.push(text);
    runQueue();
  }

  const wedge = createWedgeDetector();
  const WEDGE_WAIT = 36; // ms: the detector's gap, after which held keys were a person's
  const wedgeState = { target: null, timer: null };

  function isTextField(node) {
    if (node instanceof HTMLTextAreaElement) return true;
    return node instanceof HTMLInputElement && !["radio", "checkbox", "button", "submit", "reset"].includes(node.type);
  }

  /** Card numbers and passwords are never taken for barcodes: the wedge stands aside. */
  function wedgeApplies(target) {
    if ($("app-view").hidden) return false;
    if ($("card-dialog").open) return false;
    return !(target instanceof HTMLInputElement && target.type === "password");
  }

  /** Held keys that were a person's go where they were typed, none lost. */
  function typeKeys(keys, target) {
    if (!keys.length) return;
    let field = target && target.isConnected && isTextField(target) && !target.disabled && !target.readOnly ? target : null;
    if (!field) {
      if (document.querySelector("dialog[open]")) return; // keys on a dialog's button type nothing
      field = $("scan-input");
      field.focus();
    }
    const text = keys.join("");
    try {
      const start = field.selectionStart ?? field.value.length;
      const end = field.selectionEnd ?? start;
      field.setRangeText(text, start, end, "end");
    } catch (e) {
      field.value += text;
    }
    if (field.maxLength > 0 && field.value.length > field.maxLength) field.value = field.value.slice(0, field.maxLength);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function armWedgeTimer() {
    clearTimeout(wedgeState.timer);
    wedgeState.timer = setTimeout(() => {
      typeKeys(wedge.expire(performance.now()), wedgeState.target);
      if (wedge.pending) armWedgeTimer();
    }, WEDGE_WAIT);
  }

  function flushWedge() {
    clearTimeout(wedgeState.timer);
    typeKeys(wedge.reset(), wedgeState.target);
  }

  function hold(event) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  // Capture phase, on the window: before any field or the till's own keys see the key.
  window.addEventListener("keydown", (event) => {
    if (!wedgeApplies(event.target)) {
      if (wedge.pending) flushWedge();
      return;
    }
    const key = event.key;
    if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) {
      if (wedge.pending) flushWedge();
      return;
    }
    if (key === "Shift" || key === "CapsLock") return; // scanners shift for capitals
    if (key.length !== 1 && key !== "Enter") {
      if (wedge.pending) flushWedge(); // Backspace, Tab, arrows: after the keys typed before them
      return;
    }
    if (key === " " && !wedge.pending && !isTextField(event.target)) return; // Space presses a button
    if (!wedge.pending) wedgeState.target = event.target;
    const answer = wedge.feed({ key, time: event.timeStamp });
    if (answer.action === "hold") {
      hold(event);
      armWedgeTimer();
    } else if (answer.action === "scan") {
      hold(event);
      clearTimeout(wedgeState.timer);
      let code = answer.code;
      const scanInput = $("scan-input");
      if (wedgeState.target === scanInput && scanInput.value.trim()) {
        code = scanInput.value.trim() + code; // "3*" typed, then the item scanned
        scanInput.value = "";
      }
      acceptScan(code);
    } else if (answer.action === "type") {
      typeKeys(answer.keys, wedgeState.target);
      if (answer.pass) {
        clearTimeout(wedgeState.timer);
      } else {
        hold(event);
        wedgeState.target = event.target;
        armWedgeTimer();
      }
    }
  }, true);

  /** Scans from the till's own HID and serial scanners (GET /scans/stream, event `scan`). */
  function startScanStream() {
    if (state.scanStream || typeof EventSource === "undefined") return;
    const source = new EventSource("/api/v1/scans/stream");
    source.addEventListener("scan", (event) => {
      let data = null;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (data && typeof data.code === "string" && state.me) acceptScan(data.code);
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED && state.scanStream === source) state.scanStream = null;
    });
    state.scanStream = source;
  }

  function stopScanStream() {
    if (state.scanStream) state.scanStream.close();
    state.scanStream = null;
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
  $("parked-button").addEventListener("click", () => openParked());
  $("refund-button").addEventListener("click", () => openRefund());
  $("keys-button").addEventListener("click", () => C.openDialog($("keys-dialog")));
  $("cancel-sale-button").addEventListener("click", openCancel);
  $("shift-button").addEventListener("click", openShift);
  $("nosale-button").addEventListener("click", openNoSale);
  $("reprint-button").addEventListener("click", openReprint);
  $("clock-button").addEventListener("click", openClock);
  $("printer-button").addEventListener("click", openPrinterQueue);
  $("new-sale-button").addEventListener("click", () => newSale());
  $("items-button").addEventListener("click", openItems);
  $("customer-button").addEventListener("click", openCustomer);
  $("giftsell-button").addEventListener("click", openGiftSell);
  $("gift-button").addEventListener("click", openGift);
  $("points-button").addEventListener("click", openPoints);
  $("refund-noreceipt").addEventListener("click", openNoReceipt);
  $("pay-card-rest").addEventListener("click", () => {
    if (state.busy) return;
    C.closeDialog($("pay-dialog"));
    openCard();
  });

  const FKEYS = new Set(["F2", "F3", "F4", "F6", "F7", "F8", "F9", "F10"]);

  function isShortcut(event) {
    if (FKEYS.has(event.key)) return true;
    return event.altKey && !event.ctrlKey && !event.metaKey && /^[a-z]$/i.test(event.key);
  }

  document.addEventListener("keydown", (event) => {
    if (state.busy && !$("app-view").hidden && isShortcut(event)) {
      event.preventDefault();
      state.keyWhileBusy = { key: event.key, altKey: event.altKey, ctrlKey: false, metaKey: false };
      return;
    }
    onKey(event);
  });

  /** The till's keys; `event` is a keydown, or one kept while the till was busy. */
  function onKey(event) {
    if ($("app-view").hidden) return;
    if (!event.target) event = { ...event, target: document.activeElement, preventDefault() {} };
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
        l: () => openParked(), r: () => openRefund(), d: () => openDiscount(true), p: openPrice,
        k: () => C.openDialog($("keys-dialog")),
        s: openShift, n: openNoSale, c: openReprint, t: openClock,
        u: openCustomer, i: openGiftSell, w: openNoReceipt, e: openItems,
      };
      const sale = { g: openGift, o: openPoints }; // tenders: not on the receipt screen
      const key = event.key.toLowerCase();
      const act = alt[key] || sale[key];
      if (act) {
        event.preventDefault();
        // The return dialog's own "No receipt" key works from inside it.
        if (key === "w" && dialogOpen === $("refund-dialog")) act();
        else if (!dialogOpen && !(sale[key] && state.done)) act();
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
  }

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
      state.timezone = settings.timezone;
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
      refreshShift();
      refreshClock();
      startScanStream();
      try {
        const last = JSON.parse(sessionStorage.getItem(LAST_KEY) || "null");
        rememberLast(last && Number.isInteger(last.id) ? { id: last.id, receipt_number: last.receipt } : null);
      } catch (e) {
        rememberLast(null);
      }
      let remembered = null; // the sale this tab had on screen before a reload
      try {
        remembered = sessionStorage.getItem(SALE_KEY);
      } catch (e) {
        remembered = null;
      }
      newSale({ keepFocus: true });
      // A sale is never lost by the screen: what is open on this till comes back.
      await recoverOpenSale(remembered);
      focusScan();
    },
    async beforeLogout() {
      // The server parks the sales this user opened; one taken up from someone else too.
      const sale = state.sale;
      if (sale && sale.status === "open" && !sale.parked && liveLines(sale).length && !state.done) {
        await api("POST", `/sales/${sale.id}/park`, { json: {} });
      }
    },
    onLoggedOut() {
      state.me = null;
      stopScanStream();
      state.shift = null;
      setStatus("shift-button", "shift-text", "unknown", "Shift");
      newSale({ keepFocus: true });
    },
  });
  session.start();
})();
