// The shop's backend for the browser test: @sentry/node serving the page
// (another origin than Lore), the bundle, and POST /api/pay, which
// continues the browser's trace from sentry-trace and also logs a JSON line
// to Lore with the traceparent and sentry-trace it received. Prints its URL,
// then a JSON line per /api/pay call.
import * as Sentry from "@sentry/node";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";

const { LORE_URL, LORE_KEY, RUN, DIST } = process.env;
const lore = new URL(LORE_URL);
Sentry.init({ dsn: `${lore.protocol}//${LORE_KEY}@${lore.host}/1`, release: "checkout@1.2.3", environment: "test", tracesSampleRate: 1 });

const shop = `<script>window.SHOP = ${JSON.stringify({ lore: LORE_URL, key: LORE_KEY, release: `web@${RUN}`, user: `web-user-${RUN}` })};</script>`;
// The shop's bundle, then Lore's SDK from Lore (after Sentry initialised).
const page = () => `<!doctype html>
<html><head><title>Shop</title>
${shop}
<script src="/dist/app.js"></script>
<script src="${LORE_URL}/sdk.js"></script>
<script>lore.init(${JSON.stringify(LORE_KEY)}, { host: ${JSON.stringify(LORE_URL)}, flushInterval: 300 });</script>
</head><body>
<button id="pay" class="btn primary">Pay now</button><span id="out"></span>
</body></html>`;
// The other order: Lore's SDK first, then the bundle (Sentry wraps Lore's fetch).
const loreFirst = () => page().replace(/(<script src="\/dist\/app.js"><\/script>\n)(<script src="[^"]*\/sdk.js"><\/script>\n<script>lore.init[^\n]*\n)/, "$2$1");
// Lore's SDK installed from npm, bundled alone.
const npmPage = () => `<!doctype html><html><head><title>npm</title>${shop}<script src="/dist/npm-check.js"></script></head><body></body></html>`;

const server = http.createServer(async (req, res) => {
  const u = new URL(req.url, "http://x");
  if (u.pathname === "/api/pay") {
    const line = { ts: new Date().toISOString(), level: "info", service: "shop-backend", msg: "payment request received",
      traceparent: req.headers.traceparent || "", "sentry-trace": req.headers["sentry-trace"] || "" };
    await fetch(`${LORE_URL}/api/v1/ingest`, { method: "POST", headers: { Authorization: `Bearer ${LORE_KEY}` }, body: JSON.stringify(line) });
    console.log(JSON.stringify({ traceparent: line.traceparent, sentryTrace: line["sentry-trace"] }));
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ status: "paid" }));
    return;
  }
  if (u.pathname.startsWith("/dist/")) {
    const f = path.join(DIST, path.basename(u.pathname));
    if (fs.existsSync(f)) {
      res.setHeader("Content-Type", "text/javascript");
      res.end(fs.readFileSync(f));
      return;
    }
  }
  if (u.pathname === "/favicon.ico") {
    res.statusCode = 204;
    res.end();
    return;
  }
  res.setHeader("Content-Type", "text/html");
  res.end(u.pathname === "/npm" ? npmPage() : u.pathname === "/lore-first" ? loreFirst() : page());
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })));
process.on("SIGTERM", async () => {
  await Sentry.flush(3000);
  process.exit(0);
});
