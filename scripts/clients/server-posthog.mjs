// posthog-node against Lore's capture API, as a backend tracks a shop's
// visitors: anonymous events under a distinct id, then identify with
// $anon_distinct_id, alias in both orders, funnel steps stamped in the same
// millisecond, and captureException. Driven by internal/e2e's TestClients.
import { PostHog } from "posthog-node";

const { LORE_URL, LORE_KEY, RUN } = process.env;
const ph = new PostHog(LORE_KEY, { host: LORE_URL, flushAt: 100, flushInterval: 0 });
const at = new Date(); // one millisecond for a whole funnel: ties advance in arrival order

// A visitor browses anonymously, then signs in: identify links the ids.
const anon = `ph-anon-${RUN}`, user = `ph-user-${RUN}`;
ph.capture({ distinctId: anon, event: "Product Viewed", properties: { sku: "sku-1" }, timestamp: at });
ph.capture({ distinctId: anon, event: "Checkout Started", timestamp: at });
ph.identify({ distinctId: user, properties: { $anon_distinct_id: anon, plan: "pro" } });
ph.capture({ distinctId: user, event: "Order Completed", properties: { amount: 42 }, timestamp: at });

// Alias, the other way round: the anonymous id is the distinct id.
const anon2 = `ph-anon2-${RUN}`, user2 = `ph-user2-${RUN}`;
ph.capture({ distinctId: anon2, event: "Product Viewed", timestamp: at });
ph.alias({ distinctId: anon2, alias: user2 });
ph.capture({ distinctId: user2, event: "Checkout Started", timestamp: at });

// Prices an order; throws inside reduce's callback for an item without a price.
function computeTotal(items) {
  return items.reduce((sum, item) => sum + item.price.amount, 0);
}
try {
  computeTotal([{ price: null }]);
} catch (e) {
  ph.captureException(e, user, { order: 7 });
}
try {
  JSON.parse("{not json");
} catch (e) {
  ph.captureException(e, user);
}
await ph.shutdown();
console.log(JSON.stringify({ anon, user, anon2, user2 }));
