// @sentry/node against Lore, as a Node service runs it: an HTTP server
// whose request handler logs, queries (a child span), fails inside a
// callback (a TypeError captured with setTag and setUser in scope), raises
// a warning-level message, and answers 500. Driven by internal/e2e's
// TestClients; prints a JSON summary.
import * as Sentry from "@sentry/node";
import http from "node:http";

const { LORE_URL, LORE_KEY, RUN } = process.env;
const u = new URL(LORE_URL);
Sentry.init({
  dsn: `${u.protocol}//${LORE_KEY}@${u.host}/1`,
  release: "checkout@1.2.3",
  environment: "test",
  tracesSampleRate: 1,
  enableLogs: true,
  debug: !!process.env.SENTRY_DEBUG,
});

// Prices an order: throws a TypeError inside reduce's callback for an item
// without a price.
function computeTotal(items) {
  return items.reduce((sum, item) => sum + item.price.amount, 0);
}

const server = http.createServer(async (req, res) => {
  if (req.url === "/stock") {
    // Only a warning: the request still succeeds.
    Sentry.captureMessage(`stock running low ${RUN}`, "warning");
    res.end("ok");
    return;
  }
  Sentry.setTag("plan", "pro");
  Sentry.setUser({ id: `node-user-${RUN}` });
  Sentry.logger.info("checkout started", { cart: 3 });
  await Sentry.startSpan({ name: "SELECT * FROM carts", op: "db.query" }, async () => {
    await new Promise((r) => setTimeout(r, 5));
  });
  try {
    computeTotal([{ price: { amount: 3 } }, { price: null }]);
  } catch (e) {
    Sentry.captureException(e);
  }
  res.statusCode = 500;
  res.end("failed");
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;
// Each request as its own trace, as two users' requests would be.
const resp = await Sentry.startNewTrace(() => fetch(`${base}/checkout`, { method: "POST" }));
await resp.text();
const stock = await Sentry.startNewTrace(() => fetch(`${base}/stock`));
await stock.text();
server.close();
await Sentry.flush(5000);
console.log(JSON.stringify({ checkout: resp.status, stock: stock.status }));
