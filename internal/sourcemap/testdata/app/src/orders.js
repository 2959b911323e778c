// Prices an order: the sum of its items' amounts.
export function computeTotal(items) {
  return items.reduce((sum, item) => sum + item.price.amount, 0);
}

export function applyDiscount(total, code) {
  if (code === "HALF") {
    return total / 2;
  }
  throw new RangeError("unknown discount code " + code);
}
