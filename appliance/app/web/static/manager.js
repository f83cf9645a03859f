/* The back office's catalogue, staff and store: products, CSV import, promotions, staff
 * accounts, store rules, the sales report, the audit log. office.js shows the sections (by
 * the URL's hash, #products, #import, …, and by the role's permissions). */
"use strict";

(() => {
  const C = Comptoir;
  const { $, api, el, say } = C;
  const state = {
    me: null, currency: "CAD", timezone: null, auditAfter: 0, rules: null, categories: [], editing: null,
  };

  const fmt = (minor) => C.formatAmount(minor, state.currency);
  /** The screen's words (backoffice.*) in the person's language. */
  const w = (key, values) => C.t(`backoffice.${key}`, values);

  /** "The price “3,9x” is not an amount in CAD (at most 2 decimals)." */
  function notAnAmount(what, text) {
    const why = C.readAmount(text, state.currency).error;
    if (why) return `${what}: ${why.charAt(0) === "“" ? why : why.charAt(0).toLowerCase() + why.slice(1)}`;
    const exp = C.exponent(state.currency);
    const values = { what, text, currency: state.currency, decimals: exp };
    return exp ? w("not_an_amount_decimals", values) : w("not_an_amount_whole", values);
  }

  /** Marks the field a message is about (aria-invalid) and puts the focus on it. */
  function blame(field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }

  function clearBlame(form) {
    for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  }

  /** A value the screen cannot send, and the field it is in. */
  class Problem {
    constructor(message, field) {
      this.message = message;
      this.field = field;
    }
  }

  /* -- products ----------------------------------------------------------------------- */

  /** Amounts as the shop types them, in one place for every product field: a locale-aware
   * reader can replace these two without touching the forms. */
  const readAmount = (text) => C.parseAmount(text, state.currency);
  const showAmount = (minor) => C.formatAmount(minor, state.currency);

  const splitCodes = (text) => text.split(/[\s,;|]+/).filter(Boolean);
  const TAX_CLASSES = { standard: "tax_class_standard", exempt: "tax_class_exempt" };
  const productState = (p) => (p.active ? w("on_sale") : w("withdrawn"));

  async function searchProducts() {
    const q = $("search-q").value.trim();
    const withdrawn = $("search-withdrawn").checked;
    say($("search-error"), "");
    try {
      const found = await api("GET", "/products?" + new URLSearchParams({ q, withdrawn: String(withdrawn) }));
      const body = $("product-body");
      body.replaceChildren();
      for (const p of found.products) {
        const edit = el("button", { type: "button", class: "link-button", "data-sku": p.sku },
          el("span", { class: "sr-only" }, w("change_product") + " "), p.name);
        edit.addEventListener("click", () => editProduct(p.sku));
        body.append(el("tr", {},
          el("td", {}, p.sku), el("td", {}, edit), el("td", { class: "num" }, fmt(p.price)),
          el("td", {}, TAX_CLASSES[p.tax_class] ? w(TAX_CLASSES[p.tax_class]) : p.tax_class),
          el("td", {}, p.category || ""), el("td", {}, p.barcodes.join(", ")),
          el("td", { class: "num" }, String(p.stock)), el("td", {}, productState(p))));
      }
      if (!found.products.length) {
        body.append(el("tr", {}, el("td", { colspan: "8" }, q ? w("no_product_matches", { q }) : w("no_products_yet"))));
      }
      const some = withdrawn ? w("products_withdrawn_too") : w("products_on_sale");
      const count = found.products.length;
      $("product-caption").textContent = q
        ? w(count >= 50 ? "products_matching_first_50" : "products_matching", { some, q, count })
        : w(count >= 50 ? "products_count_first_50" : "products_count", { some, count });
    } catch (err) {
      say($("search-error"), err.message);
    }
  }

  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    searchProducts();
  });

  /* Categories: the selects of both product forms and the list under them. */

  async function loadCategories() {
    try {
      const answer = await api("GET", "/categories");
      state.categories = answer.categories.map((c) => c.name);
    } catch (err) {
      say($("category-error"), err.message);
      return;
    }
    for (const select of document.querySelectorAll(".category-select")) {
      const kept = select.value;
      select.replaceChildren(el("option", { value: "" }, w("none")),
        ...state.categories.map((name) => el("option", { value: name }, name)));
      select.value = state.categories.includes(kept) ? kept : "";
    }
    $("category-names").replaceChildren(...state.categories.map((name) => el("option", { value: name })));
    const count = state.categories.length;
    const names = state.categories.join(", ");
    $("category-list").textContent = count
      ? w(count === 1 ? "one_category" : "categories_list", { count, names })
      : w("no_category_yet");
  }

  $("category-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearBlame(event.target);
    say($("category-error"), "");
    say($("category-done"), "");
    const name = $("cat-name").value.trim();
    if (!name) {
      say($("category-error"), w("give_the_category_a_name"));
      blame($("cat-name"));
      return;
    }
    try {
      const made = await api("POST", "/categories", { json: { name } });
      $("cat-name").value = "";
      await loadCategories();
      say($("category-done"), w("category_added", { name: made.name }));
    } catch (err) {
      say($("category-error"), err.message);
      blame($("cat-name"));
    }
  });

  /* Changing a product: the form shows it as it is; only what differs is sent, so that the
   * audit log says what was changed. */

  /** What the edit form says of the product, in the person's language. */
  function productWords(p) {
    $("edit-title").textContent = w("change_sku_name", { sku: p.sku, name: p.name });
    $("edit-state").textContent = p.active ? w("on_sale_state") : w("withdrawn_state");
    $("edit-withdraw").textContent = p.active ? w("withdraw_from_sale") : w("put_back_on_sale");
  }

  function showProduct(p) {
    state.editing = p;
    productWords(p);
    $("e-name").value = p.name;
    $("e-price").value = showAmount(p.price);
    $("e-tax").value = p.tax_class;
    const category = $("e-category");
    if (p.category && !state.categories.includes(p.category)) {
      category.append(el("option", { value: p.category }, p.category));
    }
    category.value = p.category || "";
    $("e-cost").value = showAmount(p.cost);
    $("e-barcodes").value = p.barcodes.join(" ");
    $("e-plu").value = p.plu || "";
    $("edit-withdraw").className = p.active ? "danger" : "";
  }

  async function editProduct(sku) {
    say($("search-error"), "");
    say($("product-list-done"), "");
    try {
      const p = await api("GET", `/products/${encodeURIComponent(sku)}`);
      clearBlame($("edit-form"));
      say($("edit-error"), "");
      say($("edit-done"), "");
      showProduct(p);
      C.show($("edit-card"), true);
      $("e-name").focus();
    } catch (err) {
      say($("search-error"), err.message);
    }
  }

  /** What the form would change, or a Problem with the field it is about. */
  function productChanges() {
    const p = state.editing;
    const wanted = {};
    const name = $("e-name").value.trim();
    if (!name) throw new Problem(w("give_the_product_a_name"), $("e-name"));
    wanted.name = name;
    const priceText = $("e-price").value.trim();
    const price = readAmount(priceText);
    if (price === null) throw new Problem(notAnAmount(w("the_price"), priceText), $("e-price"));
    wanted.price = price;
    const costText = $("e-cost").value.trim() || "0";
    const cost = readAmount(costText);
    if (cost === null) throw new Problem(notAnAmount(w("the_cost"), costText), $("e-cost"));
    wanted.cost = cost;
    wanted.tax_class = $("e-tax").value;
    wanted.category = $("e-category").value || null;
    const plu = $("e-plu").value.trim();
    if (plu && !/^\d{4,5}$/.test(plu)) throw new Problem(w("plu_digits"), $("e-plu"));
    wanted.plu = plu || null;
    const codes = splitCodes($("e-barcodes").value);
    if ([...codes].sort().join(" ") !== [...p.barcodes].sort().join(" ")) wanted.barcodes = codes;
    return Object.fromEntries(Object.entries(wanted).filter(([key, value]) => key === "barcodes" || value !== p[key]));
  }

  const EDIT_FIELDS = {
    invalid_name: "e-name", invalid_price: "e-price", invalid_cost: "e-cost", unknown_tax_class: "e-tax",
    unknown_category: "e-category", invalid_category: "e-category", invalid_barcode: "e-barcodes",
    bad_check_digit: "e-barcodes", barcode_exists: "e-barcodes", invalid_plu: "e-plu", plu_exists: "e-plu",
  };

  async function saveProduct(changes, done) {
    const p = state.editing;
    const form = $("edit-form");
    const buttons = form.querySelectorAll("button");
    for (const b of buttons) b.disabled = true;
    try {
      const saved = await api("PATCH", `/products/${encodeURIComponent(p.sku)}`, { json: changes });
      showProduct(saved);
      say($("edit-done"), done(saved));
      searchProducts();
      return true;
    } catch (err) {
      say($("edit-error"), err.message);
      const field = EDIT_FIELDS[err.code];
      if (field) blame($(field));
      return false;
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  $("edit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearBlame(event.target);
    say($("edit-error"), "");
    say($("edit-done"), "");
    let changes;
    try {
      changes = productChanges();
    } catch (problem) {
      if (!(problem instanceof Problem)) throw problem;
      say($("edit-error"), problem.message);
      blame(problem.field);
      return;
    }
    if (!Object.keys(changes).length) {
      say($("edit-done"), w("nothing_to_save_product"));
      return;
    }
    await saveProduct(changes, (saved) =>
      w("product_saved", { sku: saved.sku, name: saved.name, price: C.money(saved.price, state.currency) }));
  });

  $("edit-withdraw").addEventListener("click", async () => {
    clearBlame($("edit-form"));
    say($("edit-error"), "");
    say($("edit-done"), "");
    const active = !state.editing.active;
    const ok = await saveProduct({ active }, (saved) => (saved.active
      ? w("back_on_sale", { name: saved.name })
      : w("now_withdrawn", { name: saved.name })));
    if (ok) $("edit-withdraw").focus();
  });

  $("edit-close").addEventListener("click", () => {
    const sku = state.editing && state.editing.sku;
    C.show($("edit-card"), false);
    state.editing = null;
    const row = sku && $("product-body").querySelector(`button[data-sku="${CSS.escape(sku)}"]`);
    (row || $("search-q")).focus();
  });

  $("product-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    say($("product-error"), "");
    say($("product-done"), "");
    const priceText = $("p-price").value.trim();
    const price = readAmount(priceText);
    if (price === null) {
      say($("product-error"), notAnAmount(w("the_price"), priceText));
      $("p-price").focus();
      return;
    }
    const stockText = $("p-stock").value.trim() || "0";
    if (!/^-?\d{1,9}$/.test(stockText)) {
      say($("product-error"), w("stock_whole_number"));
      $("p-stock").focus();
      return;
    }
    const body = {
      sku: $("p-sku").value.trim(),
      name: $("p-name").value.trim(),
      price,
      tax_class: $("p-tax").value,
      barcodes: splitCodes($("p-barcodes").value),
      stock: Number(stockText),
    };
    if ($("p-category").value) body.category = $("p-category").value;
    body.sold_by = $("p-sold-by").value;
    const plu = $("p-plu").value.trim();
    if (plu && !/^\d{4,5}$/.test(plu)) {
      say($("product-error"), w("plu_digits"));
      $("p-plu").focus();
      return;
    }
    if (plu) body.plu = plu;
    try {
      const made = await api("POST", "/products", { json: body });
      event.target.reset();
      say($("product-done"), w("product_created", { sku: made.sku, name: made.name, price: C.money(made.price, state.currency) }));
      $("search-q").value = made.sku;
      searchProducts();
    } catch (err) {
      say($("product-error"), err.message);
    }
  });

  /* -- CSV import ------------------------------------------------------------------------- */

  function showImportError(message) {
    const box = $("import-error");
    box.replaceChildren();
    // "nothing imported, 2 bad row(s): line 3: …; line 5: …" → one item per row.
    const m = /^(.*?bad row\(s\)):\s*(.*)$/s.exec(message);
    if (m) {
      const rows = m[2].split(/;\s*(?=line \d+:)/);
      box.append(el("p", {}, m[1].charAt(0).toUpperCase() + m[1].slice(1) + ":"));
      box.append(el("ul", { class: "row-errors" }, ...rows.map((r) => el("li", {}, r))));
    } else {
      box.append(el("p", {}, message));
    }
    box.hidden = false;
  }

  $("import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const errorBox = $("import-error");
    errorBox.replaceChildren();
    errorBox.hidden = true;
    say($("import-done"), "");
    const file = $("import-file").files[0];
    if (!file) {
      showImportError(w("choose_a_csv_file_first"));
      return;
    }
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await api("POST", "/products/import", { body: file, contentType: "text/csv" });
      say($("import-done"), w(answer.imported === 1 ? "imported_one" : "imported_many", { count: answer.imported, file: file.name }));
      $("import-file").value = "";
      const products = document.getElementById("products");
      delete products.dataset.loaded;
    } catch (err) {
      showImportError(err.message);
    } finally {
      button.disabled = false;
    }
  });

  /* -- promotions ------------------------------------------------------------------------ */

  function describeOffer(p) {
    if (p.kind === "multi_price") return w("offer_n_for", { quantity: p.quantity, price: C.money(p.price, state.currency) });
    if (p.kind === "buy_n_get_one") return w("offer_buy_n", { quantity: p.quantity });
    return w("offer_percent_off", { percent: C.formatPercent(p.percent) });
  }

  async function loadPromotions() {
    say($("promo-list-error"), "");
    try {
      const answer = await api("GET", "/promotions");
      const today = storeToday();
      // Still "active" but past their last day: they no longer apply, so not listed.
      const shown = answer.promotions.filter((p) => p.ends >= today);
      const body = $("promo-body");
      body.replaceChildren();
      for (const p of shown) {
        const running = p.starts <= today;
        const verb = running ? w("end_now") : w("remove");
        const button = el("button", { type: "button", class: "danger", "aria-label": `${verb}: ${p.name}` }, verb);
        button.addEventListener("click", () => endPromotion(p, running));
        body.append(el("tr", {},
          el("td", {}, p.name), el("td", {}, describeOffer(p)),
          el("td", {}, p.kind === "category_percent" ? w("category_name", { category: p.category }) : p.sku || w("product_number", { id: p.product_id })),
          el("td", { class: "nowrap" }, p.starts), el("td", { class: "nowrap" }, p.ends),
          el("td", {}, running ? w("running") : w("planned")), el("td", {}, button)));
      }
      if (!shown.length) body.append(el("tr", {}, el("td", { colspan: "7" }, w("no_promotion"))));
      $("promo-caption").textContent = w("promotions_caption", { count: shown.length });
    } catch (err) {
      say($("promo-list-error"), err.message);
    }
  }

  async function endPromotion(p, running) {
    say($("promo-done"), "");
    say($("promo-list-error"), "");
    try {
      await api("DELETE", `/promotions/${encodeURIComponent(p.id)}`);
      say($("promo-done"), running
        ? w("promotion_ended", { name: p.name })
        : w("promotion_removed", { name: p.name }));
    } catch (err) {
      say($("promo-list-error"), err.message);
    }
    await loadPromotions();
    const next = $("promo-body").querySelector("button");
    (next || $("pr-name")).focus();
  }

  function showKindFields() {
    const kind = $("pr-kind").value;
    for (const box of $("promo-form").querySelectorAll("[data-kinds]")) {
      C.show(box, box.dataset.kinds.split(" ").includes(kind));
    }
    $("pr-quantity-hint").textContent = kind === "buy_n_get_one" ? w("hint_buy_n") : w("hint_n_for");
  }
  $("pr-kind").addEventListener("change", showKindFields);

  function promotionDays() {
    const today = storeToday();
    if (!$("pr-starts").value) $("pr-starts").value = today;
    if (!$("pr-ends").value) $("pr-ends").value = today;
  }

  $("promo-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    clearBlame(form);
    say($("promo-error"), "");
    say($("promo-done"), "");
    const fail = (message, field) => {
      say($("promo-error"), message);
      blame(field);
    };
    const kind = $("pr-kind").value;
    const body = { name: $("pr-name").value.trim(), kind, starts: $("pr-starts").value, ends: $("pr-ends").value };
    if (!body.name) return fail(w("give_the_promotion_a_name"), $("pr-name"));
    if (kind === "category_percent") {
      body.category = $("pr-category").value.trim();
      if (!body.category) return fail(w("say_which_category"), $("pr-category"));
      const percent = C.parsePercent($("pr-percent").value);
      if (percent === null) return fail(w("percentage_is_a_number"), $("pr-percent"));
      body.percent = percent;
    } else {
      body.sku = $("pr-sku").value.trim();
      if (!body.sku) return fail(w("give_the_sku"), $("pr-sku"));
      const quantity = $("pr-quantity").value.trim();
      if (!/^\d{1,6}$/.test(quantity)) return fail(w("quantity_n_whole"), $("pr-quantity"));
      body.quantity = Number(quantity);
      if (kind === "multi_price") {
        const priceText = $("pr-price").value.trim();
        body.price = C.parseAmount(priceText, state.currency);
        if (body.price === null) return fail(notAnAmount(w("the_price_for_n"), priceText), $("pr-price"));
      }
    }
    if (!body.starts) return fail(w("choose_the_first_day"), $("pr-starts"));
    if (!body.ends) return fail(w("choose_the_last_day"), $("pr-ends"));
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const made = await api("POST", "/promotions", { json: body });
      form.reset(); // the kind and the days stay: the next offer is often of the same sort
      $("pr-kind").value = kind;
      $("pr-starts").value = body.starts;
      $("pr-ends").value = body.ends;
      showKindFields();
      say($("promo-done"), w("promotion_created", { name: made.name, offer: describeOffer(made), starts: made.starts, ends: made.ends }));
      await loadPromotions();
      $("pr-name").focus();
    } catch (err) {
      say($("promo-error"), err.message);
      const field = { unknown_sku: "pr-sku", invalid_date: "pr-starts", unknown_category: "pr-category" }[err.code];
      if (field) blame($(field));
    } finally {
      button.disabled = false;
    }
  });

  /* -- staff ---------------------------------------------------------------------------- */

  // What each role may hand out (rbac.may_grant); the API decides, the screen only offers.
  const GRANTS = { admin: ["cashier", "supervisor", "manager", "admin", "auditor"], manager: ["cashier", "supervisor"] };
  const PIN_ROLES = ["cashier", "supervisor", "manager", "admin"];
  const mayManage = (u) => !!state.me && u.username !== state.me.username && (GRANTS[state.me.role] || []).includes(u.role);
  const staffList = { users: [], managing: null };

  function staffStates(u) {
    const states = [u.active ? w("state_active") : w("state_disabled")];
    if (u.locked) states.push(w("state_locked"));
    if (u.must_change_password) states.push(w("state_must_change_password"));
    if (u.pin === "one_time") states.push(w("state_one_time_pin"));
    else if (u.pin === "set") states.push(w("state_pin"));
    if (u.badge) states.push(w("state_badge"));
    return states.join(", ");
  }

  async function loadStaff() {
    say($("staff-error"), "");
    try {
      const answer = await api("GET", "/users");
      staffList.users = answer.users;
      const body = $("staff-body");
      body.replaceChildren();
      for (const u of answer.users) {
        const actions = el("td", {});
        if (u.locked) {
          const unlock = el("button", { type: "button", "data-user": u.username, "aria-label": w("unlock_user", { user: u.username }) }, w("unlock"));
          unlock.addEventListener("click", () => unlockUser(u.username));
          actions.append(unlock, " ");
        }
        if (mayManage(u)) {
          const manage = el("button", { type: "button", "aria-label": w("manage_user", { user: u.username }) }, w("manage"));
          manage.addEventListener("click", () => manageUser(u.username));
          actions.append(manage);
        }
        body.append(el("tr", {}, el("td", {}, u.username), el("td", {}, C.t(`session.role_${u.role}`)), el("td", {}, staffStates(u)), actions));
      }
      if (staffList.managing) showManaged(false);
    } catch (err) {
      say($("staff-error"), err.message);
    }
  }

  async function unlockUser(username) {
    say($("staff-done"), "");
    try {
      await api("POST", `/users/${encodeURIComponent(username)}/unlock`, { json: {} });
      say($("staff-done"), w("user_unlocked", { user: username }));
      loadStaff();
    } catch (err) {
      say($("staff-error"), err.message);
    }
  }

  /* One account at a time: reset its password or PIN, set or clear its badge, disable or
   * enable it, change its role. */

  function manageUser(username) {
    staffList.managing = username;
    say($("manage-error"), "");
    say($("manage-done"), "");
    hideSecret();
    $("badge-form").reset();
    showManaged(true);
  }

  function managed() {
    return staffList.users.find((u) => u.username === staffList.managing) || null;
  }

  function showManaged(focus) {
    const u = managed();
    C.show($("staff-manage"), !!u);
    if (!u) return;
    $("manage-user").textContent = u.username;
    $("manage-state").textContent = `${C.t(`session.role_${u.role}`)}; ${staffStates(u)}.`;
    $("manage-active").textContent = u.active ? w("disable_account") : w("enable_account");
    $("manage-active").className = u.active ? "danger" : "";
    const withPin = PIN_ROLES.includes(u.role);
    C.show($("manage-reset-pin"), withPin);
    C.show($("badge-form"), withPin);
    $("manage-clear-badge").disabled = !u.badge;
    const roles = GRANTS[state.me.role] || [];
    $("manage-role").replaceChildren(...roles.map((r) => el("option", { value: r }, w(r))));
    $("manage-role").value = u.role;
    if (focus) $("manage-title").focus();
  }

  function hideSecret() {
    $("manage-secret-value").textContent = "";
    C.show($("manage-secret"), false);
  }

  function showSecret(what, value) {
    $("manage-secret-what").textContent = what;
    $("manage-secret-value").textContent = value;
    C.show($("manage-secret"), true);
    $("manage-secret-done").focus();
  }

  /** Runs one change on the managed account; says what happened and reloads the list. */
  async function manageAct(act) {
    const u = managed();
    if (!u) return;
    say($("manage-error"), "");
    say($("manage-done"), "");
    hideSecret();
    const path = `/users/${encodeURIComponent(u.username)}`;
    try {
      await act(u, path);
    } catch (err) {
      say($("manage-error"), err.message);
    }
    await loadStaff();
  }

  $("manage-reset-password").addEventListener("click", () => manageAct(async (u, path) => {
    const answer = await api("POST", `${path}/reset-password`, { json: {} });
    showSecret(w("one_time_password_for", { user: u.username }), answer.one_time_password);
  }));

  $("manage-reset-pin").addEventListener("click", () => manageAct(async (u, path) => {
    const answer = await api("POST", `${path}/pin`, { json: {} });
    showSecret(w("one_time_pin_for", { user: u.username }), answer.one_time_pin);
  }));

  $("manage-active").addEventListener("click", () => manageAct(async (u, path) => {
    await api("PATCH", path, { json: { active: !u.active } });
    say($("manage-done"), u.active ? w("user_disabled", { user: u.username }) : w("user_enabled", { user: u.username }));
  }));

  $("role-form").addEventListener("submit", (event) => {
    event.preventDefault();
    manageAct(async (u, path) => {
      const role = $("manage-role").value;
      if (role === u.role) {
        say($("manage-done"), w("role_already", { user: u.username, role: C.t(`session.role_${role}`) }));
        return;
      }
      await api("PATCH", path, { json: { role } });
      say($("manage-done"), w("role_now", { user: u.username, role: C.t(`session.role_${role}`) }));
    });
  });

  $("badge-form").addEventListener("submit", (event) => {
    event.preventDefault();
    manageAct(async (u, path) => {
      const badge = $("manage-badge").value.trim();
      if (!badge) throw new C.ApiError(0, "missing", w("scan_the_badge_first"));
      try {
        await api("PUT", `${path}/badge`, { json: { badge } });
      } finally {
        $("badge-form").reset();
      }
      say($("manage-done"), w("badge_set", { user: u.username }));
    });
  });

  $("manage-clear-badge").addEventListener("click", () => manageAct(async (u, path) => {
    await api("DELETE", `${path}/badge`);
    say($("manage-done"), w("badge_cleared", { user: u.username }));
  }));

  $("manage-secret-done").addEventListener("click", () => {
    hideSecret();
    $("manage-title").focus();
  });

  $("manage-close").addEventListener("click", () => {
    staffList.managing = null;
    hideSecret();
    C.show($("staff-manage"), false);
    $("staff-title").focus();
  });

  $("user-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    say($("user-error"), "");
    C.show($("user-secret"), false);
    const body = { username: $("u-name").value.trim(), role: $("u-role").value };
    const password = $("u-password").value;
    if (password) body.password = password;
    try {
      const made = await api("POST", "/users", { json: body });
      event.target.reset();
      if (made.one_time_password) {
        $("secret-user").textContent = made.username;
        $("secret-password").textContent = made.one_time_password;
        C.show($("user-secret"), true);
        $("secret-done").focus();
      } else {
        say($("staff-done"), w("account_created", { user: made.username, role: C.t(`session.role_${made.role}`) }));
      }
      loadStaff();
    } catch (err) {
      say($("user-error"), err.message);
    }
  });

  $("secret-done").addEventListener("click", () => {
    $("secret-password").textContent = "";
    C.show($("user-secret"), false);
    $("u-name").focus();
  });

  /* -- store rules ------------------------------------------------------------------------ */

  const PREFIXES = ["20", "21", "22", "23", "24", "25", "26", "27", "28", "29"];

  /** The parts of the rules, each its own form: what it shows, and what it would save. */
  const RULE_PARTS = {
    loyalty: {
      show(r) {
        $("ru-loyalty").checked = !!r.loyalty_enabled;
        $("ru-points").value = String(r.loyalty_points_per_unit);
        $("ru-value").value = C.formatLocal(r.loyalty_point_value, state.currency);
      },
      wanted() {
        const points = $("ru-points").value.trim();
        if (!/^\d{1,9}$/.test(points)) throw new Problem(w("points_whole_number"), $("ru-points"));
        const valueText = $("ru-value").value.trim();
        const value = C.parseAmount(valueText, state.currency);
        if (value === null) throw new Problem(notAnAmount(w("the_value_of_a_point"), valueText), $("ru-value"));
        return {
          loyalty_enabled: $("ru-loyalty").checked,
          loyalty_points_per_unit: Number(points),
          loyalty_point_value: value,
        };
      },
      field: (err) => (/value/.test(err.message) ? "ru-value" : "ru-points"),
    },
    expiry: {
      show(r) {
        $("ru-expiry").value = String(r.gift_card_expiry_days);
      },
      wanted() {
        const days = $("ru-expiry").value.trim();
        if (!/^\d{1,9}$/.test(days)) {
          throw new Problem(w("expiry_whole_days"), $("ru-expiry"));
        }
        return { gift_card_expiry_days: Number(days) };
      },
      field: () => "ru-expiry",
    },
    cash: {
      show(r) {
        $("ru-rounding").value = r.cash_rounding;
        $("ru-locale").value = r.locale;
        $("ru-cash-shift").checked = r.cash_requires_shift;
        // This screen writes amounts the new way at once, in the language the person reads.
        C.setLocale(C.localeFor(C.language(), r.locale));
      },
      wanted() {
        const tag = $("ru-locale").value.trim();
        let known = [];
        try {
          known = Intl.NumberFormat.supportedLocalesOf([tag]);
        } catch (e) {
          known = [];
        }
        if (!known.length) throw new Problem(w("not_a_language", { tag }), $("ru-locale"));
        return { cash_rounding: $("ru-rounding").value, locale: tag, cash_requires_shift: $("ru-cash-shift").checked };
      },
      field: (err) => (err.code === "invalid_locale" ? "ru-locale" : "ru-rounding"),
    },
    labels: {
      show(r) {
        $("ru-layout").value = r.variable_measure_layout;
        const grid = $("ru-prefixes");
        grid.replaceChildren();
        for (const prefix of PREFIXES) {
          const select = el("select", { id: `ru-prefix-${prefix}` },
            el("option", { value: "" }, w("not_a_scale_label")),
            el("option", { value: "price" }, w("a_price")),
            el("option", { value: "weight" }, w("a_weight_grams")));
          select.value = r.variable_measure_prefixes[prefix] || "";
          grid.append(el("div", {}, el("label", { for: select.id }, w("prefix_n", { prefix })), select));
        }
      },
      wanted() {
        return {
          variable_measure_layout: $("ru-layout").value.trim(),
          variable_measure_prefixes: Object.fromEntries(
            PREFIXES.map((p) => [p, $(`ru-prefix-${p}`).value]).filter(([, kind]) => kind)),
        };
      },
      field(err) {
        if (err.code !== "invalid_prefix") return "ru-layout";
        const m = /prefix (2\d)\b/.exec(err.message);
        return m ? `ru-prefix-${m[1]}` : "ru-prefix-20";
      },
    },
  };

  async function loadRules() {
    say($("rules-load-error"), "");
    try {
      const rules = await api("GET", "/settings/rules");
      state.rules = rules;
      for (const part of Object.values(RULE_PARTS)) part.show(rules);
    } catch (err) {
      say($("rules-load-error"), err.message);
    }
  }

  for (const [name, part] of Object.entries(RULE_PARTS)) {
    $(`${name}-form`).addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const error = $(`${name}-error`);
      const done = $(`${name}-done`);
      clearBlame(form);
      say(error, "");
      say(done, "");
      if (!state.rules) {
        await loadRules();
        return;
      }
      let wanted;
      try {
        wanted = part.wanted();
      } catch (problem) {
        if (!(problem instanceof Problem)) throw problem;
        say(error, problem.message);
        blame(problem.field);
        return;
      }
      // Only what changed, so that the audit log says what was changed.
      const changes = Object.fromEntries(Object.entries(wanted)
        .filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(state.rules[key])));
      if (!Object.keys(changes).length) {
        say(done, w("nothing_to_save_rules"));
        return;
      }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const saved = await api("PUT", "/settings/rules", { json: changes });
        state.rules = saved;
        part.show(saved);
        say(done, w("rules_saved"));
      } catch (err) {
        say(error, err.message);
        if (err.status === 422) blame($(part.field(err)));
      } finally {
        button.disabled = false;
      }
    });
  }

  /* -- sales report ------------------------------------------------------------------------ */

  const pad = (n) => String(n).padStart(2, "0");
  const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

  /** Today as YYYY-MM-DD in the store's time zone when the API tells it, else on this till's clock. */
  function storeToday() {
    return state.timezone
      ? new Intl.DateTimeFormat("en-CA", { timeZone: state.timezone }).format(new Date())
      : isoDay(new Date());
  }

  /** Minutes east of UTC in time zone `tz` at the instant `ms`. */
  function zoneOffset(ms, tz) {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(new Date(ms));
    const get = (type) => Number(parts.find((p) => p.type === type).value);
    const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
    return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60000);
  }

  /** The instant a YYYY-MM-DD day starts, as UTC ISO time: in the store's time zone when the
   * API tells it, else in this till's. */
  function dayStart(day, addDays = 0) {
    const [y, m, d] = day.split("-").map(Number);
    if (state.timezone) {
      const guess = Date.UTC(y, m - 1, d + addDays);
      let at = guess - zoneOffset(guess, state.timezone) * 60000;
      at = guess - zoneOffset(at, state.timezone) * 60000;
      return new Date(at).toISOString();
    }
    return new Date(y, m - 1, d + addDays).toISOString();
  }

  function figures(pairs) {
    return el("dl", { class: "figures" },
      ...pairs.map(([label, value]) => el("div", {}, el("dt", {}, label), el("dd", {}, value))));
  }

  function table(caption, heads, rows, numeric) {
    return el("table", { class: "data" },
      el("caption", {}, caption),
      el("thead", {}, el("tr", {}, ...heads.map((h, i) => el("th", { scope: "col", class: numeric[i] ? "num" : null }, h)))),
      el("tbody", {}, ...(rows.length
        ? rows.map((r) => el("tr", {}, ...r.map((c, i) => el("td", { class: numeric[i] ? "num" : null }, c))))
        : [el("tr", {}, el("td", { colspan: String(heads.length) }, w("none_in_this_period")))])));
  }

  $("sales-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    say($("sales-error"), "");
    const from = $("sales-from").value;
    const to = $("sales-to").value;
    if (!from || !to) {
      say($("sales-error"), w("choose_both_days"));
      return;
    }
    if (to < from) {
      say($("sales-error"), w("last_day_before_first"));
      return;
    }
    const out = $("sales-out");
    try {
      const r = await api("GET", "/reports/sales?" + new URLSearchParams({
        from: dayStart(from), to: dayStart(to, 1),
      }));
      const cur = r.currency || state.currency;
      const m = (v) => C.formatAmount(v, cur);
      const cards = r.gift_cards || { sold: 0, returned: 0, store_credit_issued: 0 };
      const mix = {
        kind: "doughnut", title: w("tender_mix"), exponent: C.exponent(cur),
        labels: r.by_tender.map((t) => ReportCharts.tenderName(t.method)), values: r.by_tender.map((t) => t.amount),
      };
      const best = {
        kind: "bar", horizontal: true, title: w("top_products"), exponent: C.exponent(cur),
        labels: r.top_products.map((p) => p.name), values: r.top_products.map((p) => p.amount),
      };
      ReportCharts.clear("chart-tenders");
      ReportCharts.clear("chart-products");
      out.replaceChildren(
        el("h2", {}, from === to ? w("sales_on", { day: from }) : w("sales_from_to", { from, to })),
        figures([
          [w("sales"), String(r.sales)], [w("net_sales_in", { currency: cur }), m(r.subtotal)],
          [w("tax_in", { currency: cur }), m(r.tax)],
          [w("total_in", { currency: cur }), m(r.total)], [w("refunds"), `${r.refunds.count} · ${m(r.refunds.amount)}`],
          ...(r.cash_rounding ? [[w("cash_rounding_in", { currency: cur }), m(r.cash_rounding)]] : []),
        ]),
        table(w("gift_cards_liability_not_sales"), [w("gift_cards"), w("amount_in", { currency: cur })], [
          [w("gift_cards_sold_liability"), m(cards.sold)],
          [w("gift_cards_returned"), m(cards.returned)],
          [w("store_credit_issued_liability"), m(cards.store_credit_issued)],
        ], [0, 1]),
        ...(r.by_tender.length ? [ReportCharts.figure(el, "chart-tenders", mix, w("by_tender"))] : []),
        table(w("by_tender"), [w("tender"), w("payments"), w("amount_in", { currency: cur })],
          r.by_tender.map((t) => [ReportCharts.tenderName(t.method), String(t.count), m(t.amount)]), [0, 1, 1]),
        table(w("by_tax"), [w("tax"), w("rate"), w("taxable_amount_in", { currency: cur }), w("tax_in", { currency: cur })],
          r.by_tax.map((t) => [t.name, `${t.rate}%`, m(t.base), m(t.amount)]), [0, 1, 1, 1]),
        ...(r.top_products.length ? [ReportCharts.figure(el, "chart-products", best, w("top_products"))] : []),
        table(w("top_products"), [w("sku"), w("product"), w("quantity"), w("amount_in", { currency: cur })],
          r.top_products.map((p) => [p.sku, p.name, String(p.quantity), m(p.amount)]), [0, 0, 1, 1]),
      );
      if (r.by_tender.length) ReportCharts.draw("chart-tenders", mix, m);
      if (r.top_products.length) ReportCharts.draw("chart-products", best, m);
    } catch (err) {
      out.replaceChildren();
      say($("sales-error"), err.message);
    }
  });

  /* -- audit ------------------------------------------------------------------------------ */

  /** {"role":"cashier","n":[1,2]} → "role: cashier; n: 1, 2" */
  function describeDetails(details) {
    let value = details;
    if (typeof value === "string") {
      try {
        value = JSON.parse(value);
      } catch (e) {
        return value;
      }
    }
    if (!value || typeof value !== "object") return value === null || value === undefined ? "" : String(value);
    const show = (v) => {
      if (Array.isArray(v)) return v.map((x) => (Array.isArray(x) ? x.join(" ") : show(x))).join(", ");
      return v && typeof v === "object" ? JSON.stringify(v) : String(v);
    };
    return Object.entries(value).map(([k, v]) => `${k.replace(/_/g, " ")}: ${show(v)}`).join("; ");
  }

  async function loadAudit() {
    say($("audit-error"), "");
    try {
      const answer = await api("GET", `/audit?after=${state.auditAfter}&limit=200`);
      const body = $("audit-body");
      for (const e of answer.entries) {
        const details = describeDetails(e.details);
        body.append(el("tr", {},
          el("td", { class: "num" }, String(e.id)),
          el("td", { class: "nowrap" }, String(e.at).replace("T", " ").replace(/(:\d\d)\.\d+/, "$1").replace(/Z$|\+00:00$/, "")),
          el("td", {}, e.actor), el("td", {}, e.action), el("td", {}, e.outcome || ""),
          el("td", {}, e.object || ""), el("td", { class: "details" }, details),
          el("td", { class: "mono nowrap", title: e.hash }, String(e.hash || "").slice(0, 10) + "…")));
        state.auditAfter = Math.max(state.auditAfter, e.id);
      }
      $("audit-more").textContent = answer.entries.length ? w("load_newer_entries") : w("no_newer_entries");
    } catch (err) {
      say($("audit-error"), err.message);
    }
  }
  $("audit-more").addEventListener("click", loadAudit);

  /* -- start -------------------------------------------------------------------------------- */

  /** The hints that say the store's time zone and how its currency's amounts are typed. */
  function writeHints() {
    $("sales-zone").textContent = state.timezone
      ? w("days_in_store_zone", { zone: state.timezone })
      : w("days_on_this_clock");
    const exp = C.exponent(state.currency);
    $("p-price-hint").textContent = exp
      ? w("price_example", { example: C.formatLocal(Number("3" + "99".padEnd(exp, "0")), state.currency) })
      : w("whole_units_example");
  }

  Office.register({
    loaders: {
      products: () => Promise.all([loadCategories(), searchProducts()]),
      promotions: () => Promise.all([loadCategories(), loadPromotions()]),
      staff: loadStaff, rules: loadRules, audit: loadAudit,
    },
    onReady(me, settings) {
      state.me = me;
      state.currency = settings.currency;
      state.timezone = null;
      if (settings.timezone) {
        try {
          zoneOffset(Date.now(), settings.timezone);
          state.timezone = settings.timezone;
        } catch (e) {
          state.timezone = null; // a zone this browser does not know: fall back to its own
        }
      }
      for (const code of document.querySelectorAll(".currency-code")) code.textContent = settings.currency;
      writeHints();
      const today = storeToday();
      if (!$("sales-from").value) $("sales-from").value = today;
      if (!$("sales-to").value) $("sales-to").value = today;
      promotionDays();
      showKindFields();
      state.rules = null;
      state.editing = null;
      C.show($("edit-card"), false);
      $("audit-body").replaceChildren();
      state.auditAfter = 0;
    },
    onLanguage() {
      writeHints();
      showKindFields();
      if (state.editing) productWords(state.editing);
      // A sales report on screen is asked for again, to be said in the new language.
      if ($("sales-out").childElementCount) $("sales-form").requestSubmit();
    },
    onLoggedOut() {
      state.me = null;
      staffList.managing = null;
      hideSecret();
      C.show($("staff-manage"), false);
    },
  });
})();
