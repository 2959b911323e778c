import { computeTotal, applyDiscount } from "./orders.js";
import { wrap } from "tiny-sdk";

const checkout = {
  payNow(cart) {
    const total = computeTotal(cart.items);
    return applyDiscount(total, cart.code);
  },
};

export const onPay = wrap(function handlePayClick(cart) {
  return checkout.payNow(cart);
});

window.onPay = onPay;
