// The customer display: a second window that shows the sale as the till changes it.
// It listens to the till's event stream; EventSource reconnects by itself after a break.
// No framework, no inline script or style (the CSP forbids both).

const $ = (id) => document.getElementById(id);

function setText(id, text) {
  $(id).textContent = text ?? "";
}

function show(rowId, text, valueId) {
  $(rowId).hidden = !text;
  if (text) setText(valueId, text);
}

function lineItem(line) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.className = "name";
  if (line.quantity !== 1 && !line.measure) {
    const qty = document.createElement("span");
    qty.className = "qty";
    qty.textContent = `${line.quantity} ×`;
    name.append(qty);
  }
  name.append(line.measure ? `${line.name} (${line.measure})` : line.name);
  const amount = document.createElement("span");
  amount.className = "amount";
  amount.textContent = line.amount_text;
  li.append(name, amount);
  return li;
}

export function render(view) {
  setText("store-name", view.store_name);
  $("welcome").hidden = !view.idle;
  $("sale").hidden = !!view.idle;
  if (view.idle) return;
  $("lines").replaceChildren(...view.lines.map(lineItem));
  setText("total", view.total_text);
  setText("tax", view.tax_text);
  show("discount-row", view.discount_text, "discount");
  show("paid-row", view.paid_text, "paid");
  show("rounding-row", view.rounding_text, "rounding");
  show("change-row", view.change_text, "change");
  $("thanks").hidden = view.status !== "completed";
}

function connect() {
  const source = new EventSource("/api/v1/display/stream");
  source.addEventListener("sale", (event) => {
    $("connection").hidden = true;
    render(JSON.parse(event.data));
  });
  source.addEventListener("open", () => {
    $("connection").hidden = true;
  });
  source.addEventListener("error", () => {
    $("connection").hidden = false;
    if (source.readyState === EventSource.CLOSED) {
      // Refused outright (no session yet): try again later rather than give up.
      setTimeout(connect, 5000);
    }
  });
}

connect();
