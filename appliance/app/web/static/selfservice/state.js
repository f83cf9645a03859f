/* The self-service screen's state: one object every part reads. No page here. */

export const state = {
  storeName: "Comptoir",
  currency: "CAD",
  sale: null, // the sale as the API last showed it
  products: [],
  idleSeconds: 45,
  countdownSeconds: 20,
  lastActivity: Date.now(),
  countdownLeft: 0,
  busy: false,
  terminal: false, // the till has a payment terminal (GET /terminal/status)
  paying: false, // a payment on the terminal is under way: the screen is not idle
  view: "attract",
};

/** The lines a customer sees: the voided ones are gone. */
export function liveLines(sale) {
  return sale ? sale.lines.filter((ln) => !ln.voided) : [];
}

export function totalsOf(sale) {
  return sale ? sale.totals : { subtotal: 0, tax: 0, due: 0 };
}

/** An age-restricted line waits for an attendant: the customer cannot pay yet. */
export function awaitingApproval(sale) {
  return Boolean(sale && sale.lines.some((ln) => ln.awaiting_approval));
}
