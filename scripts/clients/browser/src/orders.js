// Prices a cart: the sum of its items' amounts. An item without a price
// makes the callback inside reduce throw a TypeError.
export function computeTotal(items) {
  return items.reduce((sum, item) => sum + item.price.amount, 0);
}
