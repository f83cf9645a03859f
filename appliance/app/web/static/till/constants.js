/* The till's fixed words and keys, shared by several of its parts. */

export const SALE_KEY = "comptoir.sale";
export const EXTRAS_KEY = "comptoir.sale-extras"; // per sale id: its customer and the gift cards sold on it
export const GIFT_SKU = "GIFT-CARD"; // the product a gift card line is sold as (gift_cards.PRODUCT_SKU)
export const RECEIPT_NUMBER = /^[A-Za-z0-9_]{1,16}-\d{6}$/;
// The words are keys of the till's catalogue (appliance/app/words/), read when shown.
export const APPROVAL_MISSING = "till.approval_missing";
export const DECLINES = {
  do_not_honor: "till.decline_do_not_honor",
  insufficient_funds: "till.decline_insufficient_funds",
  expired_card: "till.decline_expired_card",
  invalid_card: "till.decline_invalid_card",
};
