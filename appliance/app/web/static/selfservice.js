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

  /* -- words: every string the screen shows, per language ------------------------------ */

  const WORDS = {
    en: {
      brand_sub: "Self-service checkout", language: "Language", call_attendant: "Call attendant",
      scan_label: "Barcode", add: "Add", welcome: "Welcome", attract_hint: "Scan your first item, or touch Start.",
      start: "Start", your_items: "Your items",
      scan_hint: "Scan each item's barcode. Items without a barcode: touch “Items without barcode”.",
      restricted_notice: "Some items need an attendant's approval (age check) before you pay.",
      attendant_approve: "Attendant: approve", col_item: "Item", col_qty: "Qty", col_amount: "Amount",
      no_items: "No items yet.", total: "Total", subtotal: "Subtotal", tax: "Tax", to_pay: "To pay",
      pay_card: "Pay by card", items_without_barcode: "Items without barcode",
      cancel_sale: "Cancel and start again", thank_you: "Thank you!",
      take_items: "Payment accepted. Take your items and your receipt.", receipt: "Receipt", finish: "Finish",
      back: "Back", card_number: "Card number", exp_month: "Expiry month (MM)", exp_year: "Expiry year (YY)",
      keypad: "Number keypad", pay_now: "Pay now", approval_title: "Attendant approval",
      approval_hint: "An attendant enters their user name and password.", username: "User name",
      password: "Password", keyboard: "On-screen keyboard", approve: "Approve", still_there: "Are you still there?",
      idle_text: "Your sale will be cancelled in", seconds: "seconds", continue: "I'm still here",
      attendant_called: "An attendant is on the way.", ok: "OK", key_delete: "Delete", key_clear: "Clear",
      key_next: "Next", key_shift: "Shift", key_space: "Space", restricted_mark: "Age check",
      added: "Added: {name}", unknown_barcode: "This item was not found. Please call an attendant.",
      declined: "The card was declined. Try another card.", card_incomplete: "Enter the card number and its expiry date.",
      approval_needed: "An attendant must approve the age-restricted items first.",
      approved: "Approved. You can pay now.", partial: "Part of the amount was paid. Pay the rest with another card.",
      error: "Something went wrong. Please call an attendant.", offline: "The till is not answering. Please wait.",
      not_self_service: "This till is set up as a staffed till, so it cannot serve customers on its own. " +
        "To make it a self-service till, set mode = \"self_service\" in its comptoir.toml " +
        "(or COMPTOIR_MODE=self_service) and restart it.",
      cancelled: "The sale was cancelled.", more: "More", approval_bad: "The user name or password is not right.",
    },
    fr: {
      brand_sub: "Caisse libre-service", language: "Langue", call_attendant: "Appeler un employé",
      scan_label: "Code-barres", add: "Ajouter", welcome: "Bienvenue",
      attract_hint: "Scannez votre premier article ou touchez Commencer.", start: "Commencer",
      your_items: "Vos articles",
      scan_hint: "Scannez le code-barres de chaque article. Articles sans code-barres : touchez « Articles sans code-barres ».",
      restricted_notice: "Certains articles doivent être approuvés par un employé (contrôle de l'âge) avant le paiement.",
      attendant_approve: "Employé : approuver", col_item: "Article", col_qty: "Qté", col_amount: "Montant",
      no_items: "Aucun article pour l'instant.", total: "Total", subtotal: "Sous-total", tax: "Taxes",
      to_pay: "À payer", pay_card: "Payer par carte", items_without_barcode: "Articles sans code-barres",
      cancel_sale: "Annuler et recommencer", thank_you: "Merci !",
      take_items: "Paiement accepté. Prenez vos articles et votre reçu.", receipt: "Reçu", finish: "Terminer",
      back: "Retour", card_number: "Numéro de carte", exp_month: "Mois d'expiration (MM)",
      exp_year: "Année d'expiration (AA)", keypad: "Clavier numérique", pay_now: "Payer",
      approval_title: "Approbation d'un employé",
      approval_hint: "Un employé saisit son nom d'utilisateur et son mot de passe.",
      username: "Nom d'utilisateur", password: "Mot de passe", keyboard: "Clavier à l'écran",
      approve: "Approuver", still_there: "Êtes-vous toujours là ?", idle_text: "Votre achat sera annulé dans",
      seconds: "secondes", continue: "Je suis là", attendant_called: "Un employé arrive.", ok: "OK",
      key_delete: "Effacer", key_clear: "Vider", key_next: "Suivant", key_shift: "Majuscule", key_space: "Espace",
      restricted_mark: "Contrôle de l'âge", added: "Ajouté : {name}",
      unknown_barcode: "Article introuvable. Appelez un employé.",
      declined: "La carte a été refusée. Essayez une autre carte.",
      card_incomplete: "Saisissez le numéro de carte et sa date d'expiration.",
      approval_needed: "Un employé doit d'abord approuver les articles à contrôle d'âge.",
      approved: "Approuvé. Vous pouvez payer.",
      partial: "Une partie du montant a été payée. Payez le reste avec une autre carte.",
      error: "Un problème est survenu. Appelez un employé.", offline: "La caisse ne répond pas. Veuillez patienter.",
      not_self_service: "Cette caisse est réglée comme caisse avec caissier : elle ne peut pas servir les clients " +
        "seuls. Pour en faire une caisse libre-service, mettez mode = \"self_service\" dans son comptoir.toml " +
        "(ou COMPTOIR_MODE=self_service) et redémarrez-la.",
      cancelled: "L'achat a été annulé.", more: "Plus", approval_bad: "Le nom d'utilisateur ou le mot de passe est incorrect.",
    },
    uk: {
      brand_sub: "Каса самообслуговування", language: "Мова", call_attendant: "Покликати працівника",
      scan_label: "Штрихкод", add: "Додати", welcome: "Ласкаво просимо",
      attract_hint: "Відскануйте перший товар або торкніться «Почати».", start: "Почати",
      your_items: "Ваші товари",
      scan_hint: "Відскануйте штрихкод кожного товару. Товари без штрихкоду: торкніться «Товари без штрихкоду».",
      restricted_notice: "Деякі товари потребують схвалення працівника (перевірка віку) перед оплатою.",
      attendant_approve: "Працівник: схвалити", col_item: "Товар", col_qty: "К-сть", col_amount: "Сума",
      no_items: "Товарів ще немає.", total: "Разом", subtotal: "Проміжний підсумок", tax: "Податок",
      to_pay: "До сплати", pay_card: "Оплатити карткою", items_without_barcode: "Товари без штрихкоду",
      cancel_sale: "Скасувати й почати знову", thank_you: "Дякуємо!",
      take_items: "Оплату прийнято. Заберіть товари та чек.", receipt: "Чек", finish: "Завершити",
      back: "Назад", card_number: "Номер картки", exp_month: "Місяць закінчення (ММ)",
      exp_year: "Рік закінчення (РР)", keypad: "Цифрова клавіатура", pay_now: "Сплатити",
      approval_title: "Схвалення працівника", approval_hint: "Працівник вводить своє ім'я користувача та пароль.",
      username: "Ім'я користувача", password: "Пароль", keyboard: "Екранна клавіатура", approve: "Схвалити",
      still_there: "Ви ще тут?", idle_text: "Вашу покупку буде скасовано через", seconds: "с",
      continue: "Я тут", attendant_called: "Працівник уже йде.", ok: "Гаразд", key_delete: "Стерти",
      key_clear: "Очистити", key_next: "Далі", key_shift: "Регістр", key_space: "Пробіл",
      restricted_mark: "Перевірка віку", added: "Додано: {name}",
      unknown_barcode: "Товар не знайдено. Покличте працівника.",
      declined: "Картку відхилено. Спробуйте іншу картку.",
      card_incomplete: "Введіть номер картки та термін її дії.",
      approval_needed: "Спершу працівник має схвалити товари з перевіркою віку.",
      approved: "Схвалено. Можете сплатити.", partial: "Частину суми сплачено. Сплатіть решту іншою карткою.",
      error: "Сталася помилка. Покличте працівника.", offline: "Каса не відповідає. Зачекайте, будь ласка.",
      not_self_service: "Ця каса налаштована як каса з касиром і не може обслуговувати покупців самостійно. " +
        "Щоб зробити її касою самообслуговування, вкажіть mode = \"self_service\" у її comptoir.toml " +
        "(або COMPTOIR_MODE=self_service) і перезапустіть її.",
      cancelled: "Покупку скасовано.", more: "Ще", approval_bad: "Ім'я користувача або пароль неправильні.",
    },
  };
  const DEFAULT_LANG = "en";
  let lang = DEFAULT_LANG;

  function t(key, values) {
    const text = (WORDS[lang] && WORDS[lang][key]) || WORDS.en[key] || key;
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
    try {
      await signIn();
      const [settings, config, found] = await Promise.all([
        api("GET", "/settings"),
        api("GET", "/selfservice/config"),
        api("GET", "/products?q="),
      ]);
      storeName = settings.store_name;
      currency = settings.currency;
      $("store-name").textContent = storeName;
      idleSeconds = config.idle_seconds;
      countdownSeconds = config.countdown_seconds;
      products = found.products;
    } catch (err) {
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
