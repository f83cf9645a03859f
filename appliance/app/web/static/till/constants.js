/* The till's fixed words and keys, shared by several of its parts. */

export const SALE_KEY = "comptoir.sale";
export const EXTRAS_KEY = "comptoir.sale-extras"; // per sale id: its customer and the gift cards sold on it
export const GIFT_SKU = "GIFT-CARD"; // the product a gift card line is sold as (gift_cards.PRODUCT_SKU)
export const RECEIPT_NUMBER = /^[A-Za-z0-9_]{1,16}-\d{6}$/;
export const APPROVAL_MISSING = "A supervisor must type their user name and password or PIN, or scan their badge.";
export const DECLINES = {
  do_not_honor: "the bank refused it (do not honour); ask for another card",
  insufficient_funds: "not enough funds on the card; ask for another card or less on it",
  expired_card: "the card has expired",
  invalid_card: "the card number is not valid",
};
