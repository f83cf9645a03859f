/* Running the shop: time clock, stock, customers, gift card balance, reports with CSV.
 * Sections show by the URL's hash and by the role's permissions, like the back office. */
"use strict";

(() => {
  const C = Comptoir;
  const { $, api, el, say } = C;
  const state = { me: null, currency: "CAD" };
  const MONEY = new Set(["subtotal", "tax", "total", "average", "amount", "taken", "refunded", "net", "base",
    "cost", "value", "retail_value", "balance", "liability", "expired_balance", "debit", "credit"]);
  const REPORTS = [
    ["by-day", "Sales by day"], ["by-hour", "Sales by hour"], ["by-employee", "Sales per employee"],
    ["by-tender", "By tender"], ["by-tax", "By tax"], ["top-products", "Top products"],
    ["slow-products", "Slow products"], ["voids-and-discounts", "Voids and discounts"], ["returns", "Returns"],
    ["timesheet", "Timesheet"], ["stock-value", "Stock value"], ["gift-card-liability", "Gift card liability"],
    ["journal", "Accounting journal"],
  ];

  const fmt = (minor) => C.formatAmount(minor, state.currency);
  const can = (p) => !!state.me && state.me.permissions.includes(p);

  function sections() {
    return Array.from(document.querySelectorAll(".office-main > section[data-needs]"));
  }

  function route() {
    if (!state.me) return;
    const allowed = sections().filter((s) => can(s.dataset.needs));
    C.show($("nothing"), allowed.length === 0);
    const current = allowed.find((s) => s.id === location.hash.slice(1)) || allowed[0];
    for (const s of sections()) C.show(s, s === current);
    for (const item of document.querySelectorAll(".office-nav li")) C.show(item, can(item.dataset.needs));
    for (const link of document.querySelectorAll(".office-nav a")) {
      if (current && link.getAttribute("href") === "#" + current.id) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    const loaders = { clock: loadClock, stock: () => loadStock(""), customers: () => findCustomers("") };
    if (current && loaders[current.id] && !current.dataset.loaded) {
      current.dataset.loaded = "1";
      loaders[current.id]();
    }
  }
  window.addEventListener("hashchange", route);

  /* -- time clock ------------------------------------------------------------------------ */

  const CLOCK_WORDS = { off: "You are clocked out.", working: "You are working.", on_break: "You are on a break." };

  function showClock(status) {
    const since = status.since ? " Since " + status.since.slice(11, 16) + " UTC." : "";
    $("clock-state").textContent = CLOCK_WORDS[status.state] + since;
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

  /* -- stock ------------------------------------------------------------------------------ */

  function stockRows(products, caption) {
    const body = $("stock-body");
    body.replaceChildren();
    for (const p of products) {
      body.append(el("tr", {}, el("td", {}, p.sku), el("td", {}, p.name), el("td", { class: "num" }, String(p.on_hand)),
        el("td", { class: "num" }, String(p.on_order)), el("td", { class: "num" }, p.reorder_point === null ? "—" : String(p.reorder_point)),
        el("td", { class: "num" }, fmt(p.cost)), el("td", { class: "num" }, p.suggested ? String(p.suggested) : "")));
    }
    if (!products.length) body.append(el("tr", {}, el("td", { colspan: "7" }, "Nothing to show.")));
    $("stock-caption").textContent = caption;
  }

  async function loadStock(q) {
    say($("stock-error"), "");
    try {
      stockRows((await api("GET", "/stock?" + new URLSearchParams({ q }))).products, q ? `Matching “${q}”` : "Stock");
    } catch (err) {
      say($("stock-error"), err.message);
    }
  }

  $("stock-search").addEventListener("submit", (e) => { e.preventDefault(); loadStock($("stock-q").value.trim()); });
  $("stock-low").addEventListener("click", async () => {
    try {
      stockRows((await api("GET", "/stock/low")).products, "At or under the reorder point");
    } catch (err) {
      say($("stock-error"), err.message);
    }
  });
  $("stock-suggest").addEventListener("click", async () => {
    say($("stock-done"), "");
    try {
      const made = await api("POST", "/purchase-orders/suggest", { json: {} });
      const without = made.without_supplier.length ? ` ${made.without_supplier.length} low product(s) have no supplier.` : "";
      say($("stock-done"), `${made.orders.length} draft order(s) made.` + without);
    } catch (err) {
      say($("stock-error"), err.message);
    }
  });
  $("adjust-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("stock-error"), "");
    say($("stock-done"), "");
    const quantity = Number($("adj-qty").value.trim());
    if (!Number.isInteger(quantity) || quantity === 0) {
      say($("stock-error"), "The change is a whole number, up or down, not 0.");
      return;
    }
    try {
      const done = await api("POST", "/stock/adjustments", {
        json: { sku: $("adj-sku").value.trim(), quantity, reason: $("adj-reason").value },
      });
      say($("stock-done"), `${done.sku}: on hand now ${done.on_hand}.`);
    } catch (err) {
      say($("stock-error"), err.message);
    }
  });

  /* -- customers --------------------------------------------------------------------------- */

  async function findCustomers(q) {
    say($("customer-error"), "");
    try {
      const found = await api("GET", "/customers?" + new URLSearchParams({ q }));
      const body = $("customer-body");
      body.replaceChildren();
      for (const c of found.customers) {
        const actions = el("td", {}, el("button", { type: "button", onclick: () => history(c) }, "Purchases"));
        if (can("manage_customers")) {
          actions.append(el("button", { type: "button", class: "danger", onclick: () => erase(c) }, "Erase"));
        }
        body.append(el("tr", {}, el("td", {}, c.name), el("td", {}, c.email || ""), el("td", {}, c.phone || ""),
          el("td", { class: "num" }, String(c.points)), actions));
      }
      if (!found.customers.length) body.append(el("tr", {}, el("td", { colspan: "5" }, "No customer found.")));
    } catch (err) {
      say($("customer-error"), err.message);
    }
  }

  async function history(customer) {
    try {
      const found = await api("GET", `/customers/${customer.id}/purchases`);
      $("history-title").textContent = "Purchases of " + customer.name;
      const body = $("history-body");
      body.replaceChildren();
      for (const p of found.purchases) {
        body.append(el("tr", {}, el("td", {}, p.receipt_number), el("td", {}, p.completed_at.slice(0, 16).replace("T", " ")),
          el("td", { class: "num" }, fmt(p.total)), el("td", { class: "num" }, String(p.points_earned))));
      }
      C.show($("history"), true);
    } catch (err) {
      say($("customer-error"), err.message);
    }
  }

  async function erase(customer) {
    if (!window.confirm(`Erase ${customer.name}'s personal data? Their sales stay; their points are lost.`)) return;
    try {
      await api("POST", `/customers/${customer.id}/erase`, { json: { reason: "customer's request" } });
      findCustomers($("customer-q").value.trim());
    } catch (err) {
      say($("customer-error"), err.message);
    }
  }

  $("customer-search").addEventListener("submit", (e) => { e.preventDefault(); findCustomers($("customer-q").value.trim()); });
  $("enrol-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("customer-error"), "");
    try {
      const made = await api("POST", "/customers", {
        json: {
          name: $("c-name").value.trim(), email: $("c-email").value.trim() || null,
          phone: $("c-phone").value.trim() || null, consent: $("c-consent").checked,
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
      const expiry = card.expires_at ? ` Expires ${card.expires_at.slice(0, 10)}.` : "";
      say($("gc-result"), `${card.code}: ${C.money(card.balance, card.currency)} (${card.expired ? "expired" : card.status}).${expiry}`);
    } catch (err) {
      say($("gc-error"), err.message);
    }
  });

  /* -- reports ---------------------------------------------------------------------------------- */

  function reportQuery(format) {
    const q = { from: $("r-from").value, to: $("r-to").value };
    if (format) q.format = format;
    return `/reports/${$("r-name").value}?` + new URLSearchParams(q);
  }

  function refreshCsvLink() {
    $("r-csv").setAttribute("href", "/api/v1" + reportQuery("csv"));
  }

  $("report-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("report-error"), "");
    try {
      const report = await api("GET", reportQuery(null));
      $("report-caption").textContent = `${$("r-name").selectedOptions[0].textContent}, ${report.from.slice(0, 10)} to ${report.to.slice(0, 10)} (${report.timezone})`;
      $("report-head").replaceChildren(...report.columns.map((c) => el("th", { scope: "col" }, c.replace(/_/g, " "))));
      const body = $("report-body");
      body.replaceChildren();
      for (const row of report.rows) {
        body.append(el("tr", {}, ...report.columns.map((c) => {
          const v = row[c];
          const money = MONEY.has(c) && typeof v === "number";
          return el("td", { class: typeof v === "number" ? "num" : null }, v === null || v === undefined ? "" : money ? fmt(v) : String(v));
        })));
      }
      if (!report.rows.length) body.append(el("tr", {}, el("td", { colspan: String(report.columns.length) }, "Nothing in this period.")));
    } catch (err) {
      say($("report-error"), err.message);
    }
  });

  function setUpReports() {
    $("r-name").replaceChildren(...REPORTS.map(([v, label]) => el("option", { value: v }, label)));
    const today = new Date();
    const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    $("r-to").value = iso(today);
    $("r-from").value = iso(new Date(today.getFullYear(), today.getMonth(), 1));
    for (const id of ["r-name", "r-from", "r-to"]) $(id).addEventListener("change", refreshCsvLink);
    refreshCsvLink();
  }

  /* -- start ------------------------------------------------------------------------------------ */

  setUpReports();
  const session = C.session({
    onReady(me, settings) {
      state.me = me;
      state.currency = settings.currency;
      for (const s of sections()) delete s.dataset.loaded;
      route();
    },
    onLoggedOut() {
      state.me = null;
    },
  });
  session.start();
})();
