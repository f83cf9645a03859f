/* Comptoir self-service checkout: a customer alone at a touch screen.
 *
 * No build step, no inline script (the CSP forbids it). The customer's session is the
 * till's password-less kiosk session (POST /auth/kiosk, role `customer`); its CSRF token is
 * kept in this closure only, never in storage. A card number lives in its input field
 * until the payment request is sent, and the fields are cleared whatever the answer.
 *
 * A module: money is written and the API called by common.js (comptoir.js), as on the till.
 */
import C from "./comptoir.js";

(() => {
  const $ = (id) => document.getElementById(id);

  /* -- words: every string the screen shows, from the shop's one catalogue ---------------- */

  // The same files the receipts read (appliance/app/words/{lang}.json), keys "selfservice.*".
  // Until they arrive the page shows the English written in its HTML, never a raw key; start()
  // waits for them before the first customer can touch anything.
  const LANGUAGES = ["en", "fr", "uk"];
  const WORDS = {};
  // The two things the screen must still be able to say when the catalogue itself cannot be
  // fetched: en.json's own text (tests/integration/http/test_words.py holds them equal).
  const UNREACHABLE = {
    offline: "The till is not answering. Please wait.",
    error: "Something went wrong. Please call an attendant.",
  };
  const DEFAULT_LANG = "en";
  let lang = DEFAULT_LANG;

  async function loadWords() {
    const found = await Promise.all(
      LANGUAGES.map(async (code) => {
        let answer;
        try {
          answer = await fetch(`/words/${code}.json`, { credentials: "same-origin" });
        } catch (err) {
          throw { status: 0 }; // read as "the till is not answering"
        }
        if (!answer.ok) throw { status: answer.status };
        return [code, (await answer.json()).selfservice || {}];
      }),
    );
    for (const [code, words] of found) WORDS[code] = words;
  }

  function t(key, values) {
    const text = (WORDS[lang] && WORDS[lang][key]) || (WORDS.en && WORDS.en[key]) || UNREACHABLE[key] || key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (values && name in values ? values[name] : ""));
  }

  function setLanguage(code) {
    lang = WORDS[code] ? code : DEFAULT_LANG;
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const button of document.querySelectorAll(".ss-lang")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
    }
    document.title = t("brand_sub") + " — " + storeName;
    buildKeypad();
    buildKeyboard();
    if (sale) render(sale);
    if (products.length) buildMenu();
  }

  /* -- money: integers of minor units, shown with the language's separators ------------- */

  // The language's own way of writing amounts (common.js formatLocal, its currency table).
  const LOCALES = { en: "en-CA", fr: "fr-CA", uk: "uk-UA" };
  let currency = "CAD";

  function money(minor) {
    return C.formatLocal(minor, currency, LOCALES[lang] || LOCALES[DEFAULT_LANG]) + "\u00a0" + currency;
  }

  /* -- the API: the kiosk session, its CSRF token held here only ------------------------ */

  let csrf = null;

  /** common.js api() with the kiosk's own token (never the staff's stored one). */
  function request(method, path, opts = {}) {
    return C.api(method, path, { ...opts, csrf, noExpiry: true });
  }

  async function signIn() {
    const answer = await request("POST", "/auth/kiosk", { json: {} });
    csrf = answer.csrf_token;
  }

  /** A call that signs in again once if the kiosk session expired. */
  async function api(method, path, opts) {
    try {
      return await request(method, path, opts);
    } catch (err) {
      if (err.status === 401 || (err.status === 403 && err.code === "csrf_failed")) {
        await signIn();
        return request(method, path, opts);
      }
      throw err;
    }
  }

  /* -- state ---------------------------------------------------------------------------- */

  let storeName = "Comptoir";
  let sale = null; // the sale as the API last showed it
  let products = [];
  let idleSeconds = 45;
  let countdownSeconds = 20;
  let lastActivity = Date.now();
  let countdownLeft = 0;
  let busy = false;
  let view = "attract";

  function say(node, message) {
    node.textContent = message || "";
    node.hidden = !message;
  }

  function announce(message) {
    $("status").textContent = message;
  }

  function showView(name) {
    view = name;
    $("attract-view").hidden = name !== "attract";
    $("sale-view").hidden = name !== "sale";
    $("done-view").hidden = name !== "done";
    focusScanner();
  }

  function openDialogs() {
    return document.querySelectorAll("dialog[open]");
  }

  /** The scanner types into the focused element: keep the scan input focused whenever no
   * dialog (with its own fields) is open. */
  function focusScanner() {
    if (openDialogs().length === 0 && view !== "done") $("scan-input").focus({ preventScroll: true });
  }

  function openDialog(dialog, focus) {
    if (!dialog.open) dialog.showModal();
    const target = focus || dialog.querySelector("input, button");
    if (target) target.focus();
  }

  function closeDialog(dialog) {
    if (dialog.open) dialog.close();
  }

  /* -- rendering the sale ------------------------------------------------------------------ */

  function render(current) {
    sale = current;
    const body = $("lines-body");
    body.replaceChildren();
    const lines = current ? current.lines.filter((ln) => !ln.voided) : [];
    for (const ln of lines) {
      const row = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = ln.name;
      if (ln.age_restricted) {
        const mark = document.createElement("span");
        mark.className = ln.awaiting_approval ? "ss-tag ss-tag-wait" : "ss-tag";
        mark.textContent = t("restricted_mark");
        name.append(" ", mark);
      }
      const qty = document.createElement("td");
      qty.className = "num";
      qty.textContent = String(ln.quantity);
      const amount = document.createElement("td");
      amount.className = "num";
      amount.textContent = money(ln.net);
      row.append(name, qty, amount);
      body.append(row);
    }
    $("lines").hidden = lines.length === 0;
    $("lines-empty").hidden = lines.length !== 0;
    const totals = current ? current.totals : { subtotal: 0, tax: 0, due: 0 };
    $("t-subtotal").textContent = money(totals.subtotal);
    $("t-tax").textContent = money(totals.tax);
    $("t-due").textContent = money(totals.due);
    $("pay-due").textContent = money(totals.due);
    $("pay-button").disabled = !current || totals.due <= 0;
    $("restricted-box").hidden = !awaitingApproval();
  }

  function awaitingApproval() {
    return Boolean(sale && sale.lines.some((ln) => ln.awaiting_approval));
  }

  /* -- selling ------------------------------------------------------------------------------- */

  async function ensureSale() {
    if (!sale || sale.status !== "open") render(await api("POST", "/sales", { json: {} }));
    return sale.id;
  }

  async function addItem(item) {
    if (busy) return;
    busy = true;
    say($("sale-error"), "");
    say($("attract-error"), "");
    try {
      const id = await ensureSale();
      showView("sale");
      const updated = await api("POST", `/sales/${id}/items`, { json: item });
      render(updated);
      const added = updated.lines.filter((ln) => !ln.voided).slice(-1)[0];
      if (added) announce(t("added", { name: added.name }));
      if (awaitingApproval()) announce(t("approval_needed"));
    } catch (err) {
      showView(sale ? "sale" : view);
      const where = view === "attract" ? $("attract-error") : $("sale-error");
      say(where, err.code === "unknown_barcode" || err.code === "product_not_found" || err.status === 404
        ? t("unknown_barcode") : err.status === 422 ? t("unknown_barcode") : describe(err));
    } finally {
      busy = false;
    }
  }

  function describe(err) {
    if (err.status === 0) return t("offline");
    if (err.code === "not_self_service") return t("not_self_service"); // a set-up matter, said plainly
    return t("error");
  }

  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("scan-input");
    const code = input.value.trim();
    input.value = "";
    if (code) addItem({ barcode: code });
  });

  $("start-button").addEventListener("click", () => showView("sale"));

  /* -- the menu of items without a barcode ------------------------------------------------ */

  function buildMenu() {
    const body = $("menu-body");
    body.replaceChildren();
    const unbarcoded = products.filter((p) => p.barcodes.length === 0 && p.sold_by !== "weight");
    const shown = unbarcoded.length ? unbarcoded : products.filter((p) => p.sold_by !== "weight");
    const groups = new Map();
    for (const p of shown) {
      const key = p.category || t("more");
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(p);
    }
    let n = 0;
    for (const [category, items] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      n += 1;
      const section = document.createElement("section");
      section.className = "ss-menu-group";
      const heading = document.createElement("h3");
      heading.id = "menu-cat-" + n;
      heading.textContent = category;
      const grid = document.createElement("div");
      grid.className = "ss-menu-grid";
      grid.setAttribute("role", "group");
      grid.setAttribute("aria-labelledby", heading.id);
      for (const p of items) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "ss-btn ss-item";
        button.dataset.sku = p.sku;
        const name = document.createElement("span");
        name.className = "ss-item-name";
        name.textContent = p.name;
        const price = document.createElement("span");
        price.className = "ss-item-price";
        price.textContent = money(p.price);
        button.append(name, price);
        button.addEventListener("click", () => {
          closeDialog($("menu-dialog"));
          addItem({ sku: p.sku });
        });
        grid.append(button);
      }
      section.append(heading, grid);
      body.append(section);
    }
  }

  $("menu-button").addEventListener("click", () => openDialog($("menu-dialog")));

  /* -- on-screen number keypad (card entry) ------------------------------------------------- */

  const cardFields = ["card-number", "card-month", "card-year"];
  let cardField = "card-number";
  for (const id of cardFields) $(id).addEventListener("focus", () => { cardField = id; });
  for (const id of cardFields) {
    $(id).addEventListener("input", () => {
      const input = $(id);
      input.value = input.value.replace(/\D/g, "").slice(0, input.maxLength);
    });
  }

  function keyButton(label, onPress, extraClass, name) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "ss-key" + (extraClass ? " " + extraClass : "");
    button.textContent = label;
    if (name) button.setAttribute("aria-label", name);
    // Keep the focus in the field being typed: a tap on a key must not take it away.
    button.addEventListener("pointerdown", (event) => event.preventDefault());
    button.addEventListener("click", onPress);
    return button;
  }

  function buildKeypad() {
    const pad = $("card-keypad");
    for (const key of pad.querySelectorAll(".ss-key")) key.remove();
    const press = (digit) => () => {
      const input = $(cardField);
      if (input.value.length < input.maxLength) input.value += digit;
      if (cardField !== "card-number" && input.value.length === input.maxLength) nextCardField();
      else input.focus();
    };
    for (const digit of ["1", "2", "3", "4", "5", "6", "7", "8", "9"]) pad.append(keyButton(digit, press(digit)));
    pad.append(keyButton(t("key_clear"), () => { $(cardField).value = ""; $(cardField).focus(); }, "ss-key-word"));
    pad.append(keyButton("0", press("0")));
    pad.append(keyButton("⌫", () => {
      const input = $(cardField);
      input.value = input.value.slice(0, -1);
      input.focus();
    }, "ss-key-word", t("key_delete")));
    pad.append(keyButton(t("key_next"), nextCardField, "ss-key-wide"));
  }

  function nextCardField() {
    const i = cardFields.indexOf(cardField);
    cardField = cardFields[(i + 1) % cardFields.length];
    $(cardField).focus();
  }

  function clearCard() {
    for (const id of cardFields) $(id).value = "";
    cardField = "card-number";
  }

  $("pay-button").addEventListener("click", () => {
    if (awaitingApproval()) {
      say($("sale-error"), t("approval_needed"));
      openApproval();
      return;
    }
    clearCard();
    say($("pay-error"), "");
    openDialog($("pay-dialog"), $("card-number"));
  });

  $("pay-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy || !sale) return;
    const number = $("card-number").value;
    const month = Number($("card-month").value);
    const year = $("card-year").value;
    if (number.length < 12 || !(month >= 1 && month <= 12) || year.length !== 2) {
      say($("pay-error"), t("card_incomplete"));
      return;
    }
    busy = true;
    $("pay-submit").disabled = true;
    say($("pay-error"), "");
    const body = {
      method: "card",
      amount: sale.totals.due,
      card: { number, exp_month: month, exp_year: 2000 + Number(year) },
    };
    clearCard(); // the number now lives only in the request being sent
    try {
      const answer = await api("POST", `/sales/${sale.id}/payments`, {
        json: body, headers: { "Idempotency-Key": crypto.randomUUID() },
      });
      body.card = null;
      render(answer);
      if (answer.status === "completed") {
        closeDialog($("pay-dialog"));
        await showReceipt(answer.id);
      } else {
        say($("pay-error"), t("partial"));
        $("card-number").focus();
      }
    } catch (err) {
      body.card = null;
      say($("pay-error"), err.code === "card_declined" || err.code === "card_refused" ? t("declined")
        : err.code === "attendant_approval_needed" ? t("approval_needed") : describe(err));
      $("card-number").focus();
    } finally {
      busy = false;
      $("pay-submit").disabled = false;
    }
  });

  async function showReceipt(id) {
    let text = "";
    try {
      text = await api("GET", `/sales/${id}/receipt?format=text`, { text: true });
    } catch (err) {
      text = "";
    }
    $("receipt-text").textContent = text;
    showView("done");
    $("finish-button").focus();
  }

  $("finish-button").addEventListener("click", () => reset());

  /* -- on-screen keyboard (attendant credentials) ------------------------------------------- */

  const oskFields = ["approve-username", "approve-password"];
  let oskField = "approve-username";
  let shifted = false;
  for (const id of oskFields) $(id).addEventListener("focus", () => { oskField = id; });

  function buildKeyboard() {
    const osk = $("osk");
    for (const row of osk.querySelectorAll(".ss-osk-row")) row.remove();
    const rows = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm-_."];
    const type = (ch) => () => {
      const input = $(oskField);
      input.value += shifted ? ch.toUpperCase() : ch;
      input.focus();
    };
    for (const chars of rows) {
      const row = document.createElement("div");
      row.className = "ss-osk-row";
      for (const ch of chars) {
        const label = shifted ? ch.toUpperCase() : ch;
        row.append(keyButton(label, type(ch), "", null));
      }
      osk.append(row);
    }
    const last = document.createElement("div");
    last.className = "ss-osk-row";
    const shift = keyButton("⇧ " + t("key_shift"), () => {
      shifted = !shifted;
      buildKeyboard();
      $(oskField).focus();
    }, "ss-key-wide");
    shift.setAttribute("aria-pressed", String(shifted));
    last.append(shift);
    last.append(keyButton(t("key_space"), type(" "), "ss-key-space"));
    last.append(keyButton("⌫ " + t("key_delete"), () => {
      const input = $(oskField);
      input.value = input.value.slice(0, -1);
      input.focus();
    }, "ss-key-wide"));
    last.append(keyButton(t("key_next"), () => {
      oskField = oskFields[(oskFields.indexOf(oskField) + 1) % oskFields.length];
      $(oskField).focus();
    }, "ss-key-wide"));
    osk.append(last);
  }

  function openApproval() {
    $("approve-form").reset();
    say($("approve-error"), "");
    oskField = "approve-username";
    openDialog($("approve-dialog"), $("approve-username"));
  }

  $("approve-button").addEventListener("click", () => {
    callAttendant("restricted", false);
    openApproval();
  });

  $("approve-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy || !sale) return;
    const username = $("approve-username").value.trim();
    const password = $("approve-password").value;
    $("approve-password").value = "";
    busy = true;
    try {
      const grant = await api("POST", "/auth/approve", {
        json: { username, password, permission: "approve_restricted" },
      });
      const updated = await api("POST", `/sales/${sale.id}/approve`, {
        json: {}, headers: { "X-Approval": grant.approval },
      });
      render(updated);
      $("approve-form").reset();
      closeDialog($("approve-dialog"));
      say($("sale-error"), "");
      announce(t("approved"));
    } catch (err) {
      say($("approve-error"), err.status === 401 || err.status === 403 || err.status === 423 || err.status === 429
        ? t("approval_bad") : describe(err));
      $("approve-password").focus();
      oskField = "approve-password";
    } finally {
      busy = false;
    }
  });

  /* -- call an attendant ------------------------------------------------------------------- */

  async function callAttendant(reason, show) {
    say($("called-error"), "");
    if (show) openDialog($("called-dialog"));
    try {
      await api("POST", "/selfservice/attendant", { json: sale ? { reason, sale: sale.id } : { reason } });
    } catch (err) {
      if (show) say($("called-error"), describe(err));
    }
  }

  $("call-attendant").addEventListener("click", () => callAttendant("help", true));

  /* -- cancel, idle, reset ------------------------------------------------------------------- */

  async function cancelSale() {
    if (sale && sale.status === "open") {
      try {
        await api("POST", `/sales/${sale.id}/cancel`, { json: {} });
      } catch (err) {
        /* a sale that cannot be cancelled any more (paid meanwhile) is left as it is */
      }
    }
  }

  async function reset() {
    for (const dialog of openDialogs()) dialog.close();
    clearCard();
    $("approve-form").reset();
    $("receipt-text").textContent = "";
    say($("sale-error"), "");
    say($("attract-error"), "");
    sale = null;
    render(null);
    setLanguage(DEFAULT_LANG);
    showView("attract");
  }

  $("cancel-button").addEventListener("click", async () => {
    await cancelSale();
    await reset();
    announce(t("cancelled"));
  });

  function activity() {
    lastActivity = Date.now();
    if ($("idle-dialog").open) {
      closeDialog($("idle-dialog"));
      focusScanner();
    }
  }

  for (const kind of ["pointerdown", "keydown", "input"]) document.addEventListener(kind, activity, true);
  $("idle-continue").addEventListener("click", activity);

  function tick() {
    if (view === "attract" && !sale) return;
    const idleFor = (Date.now() - lastActivity) / 1000;
    if (idleFor < idleSeconds) return;
    const left = Math.max(0, Math.ceil(idleSeconds + countdownSeconds - idleFor));
    if (!$("idle-dialog").open) {
      for (const dialog of openDialogs()) dialog.close();
      clearCard();
      $("approve-password").value = "";
      openDialog($("idle-dialog"), $("idle-continue"));
    }
    if (left !== countdownLeft) {
      countdownLeft = left;
      $("idle-count").textContent = String(left);
    }
    if (left <= 0) {
      cancelSale().then(reset);
      lastActivity = Date.now();
    }
  }

  /* -- wiring ---------------------------------------------------------------------------------- */

  for (const button of document.querySelectorAll(".ss-lang")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang));
  }
  for (const button of document.querySelectorAll(".close-dialog")) {
    button.addEventListener("click", () => {
      const dialog = button.closest("dialog");
      closeDialog(dialog);
      if (dialog.id === "pay-dialog") clearCard();
      if (dialog.id === "approve-dialog") $("approve-form").reset();
    });
  }
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", () => {
      if (dialog.id === "pay-dialog") clearCard();
      focusScanner();
    });
  }
  // After a tap anywhere outside a dialog (a language, Start, the page itself) the focus goes
  // back to the scan input, so the next scan lands there and not on the button just touched.
  document.addEventListener("click", (event) => {
    if (!event.target.closest("dialog, input, pre")) setTimeout(focusScanner, 0);
  });

  async function start() {
    const words = loadWords();
    words.catch(() => {}); // a failure is met below, not reported as unhandled while signing in
    try {
      await signIn();
      const [settings, config, found] = await Promise.all([
        api("GET", "/settings"),
        api("GET", "/selfservice/config"),
        api("GET", "/products?q="),
        words,
      ]);
      storeName = settings.store_name;
      currency = settings.currency;
      $("store-name").textContent = storeName;
      idleSeconds = config.idle_seconds;
      countdownSeconds = config.countdown_seconds;
      products = found.products;
    } catch (err) {
      await words.catch(() => {}); // whatever failed, say it in the words if they came
      say($("attract-error"), describe(err));
      setTimeout(start, 3000);
      return;
    }
    setLanguage(DEFAULT_LANG);
    buildMenu();
    render(null);
    showView("attract");
    document.body.dataset.ready = "true";
  }

  setInterval(tick, 250);
  start();
})();
