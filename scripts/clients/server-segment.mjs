// @segment/analytics-node against Lore's Segment API (the write key as the
// basic-auth user): an anonymous visitor's page and track calls, then
// identify and alias, and the order. Driven by internal/e2e's TestClients.
import { Analytics } from "@segment/analytics-node";

const { LORE_URL, LORE_KEY, RUN } = process.env;
const analytics = new Analytics({ writeKey: LORE_KEY, host: LORE_URL, flushAt: 50, flushInterval: 100 });
const anon = `seg-anon-${RUN}`, user = `seg-user-${RUN}`;
analytics.page({ anonymousId: anon, name: "Pricing", properties: { path: "/pricing", url: "https://shop.example/pricing" } });
analytics.track({ anonymousId: anon, event: "Product Viewed", properties: { sku: "sku-1" } });
analytics.identify({ userId: user, anonymousId: anon, traits: { plan: "pro" } });
analytics.track({ userId: user, event: "Order Completed", properties: { amount: 42 } });
await analytics.closeAndFlush({ timeout: 10000 });
console.log(JSON.stringify({ anon, user }));
