// Node's loggers shipping to Lore's JSON ingest (POST /api/v1/ingest):
// winston's own Http transport (an error logged with format.errors, so the
// line carries only its stack), and pino writing NDJSON to a stream that
// posts it. Driven by internal/e2e's TestClients.
import winston from "winston";
import pino from "pino";
import { Writable } from "node:stream";

const { LORE_URL, LORE_KEY, RUN } = process.env;
const u = new URL(LORE_URL);

const wlog = winston.createLogger({
  level: "info",
  format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp(), winston.format.json()),
  defaultMeta: { service: "orders-winston", run: RUN },
  transports: [new winston.transports.Http({ host: u.hostname, port: Number(u.port), path: "/api/v1/ingest", headers: { Authorization: `Bearer ${LORE_KEY}` } })],
});
wlog.info("order received", { order_id: `o-${RUN}` });
function computeTotal(items) {
  return items.reduce((sum, item) => sum + item.price.amount, 0);
}
try {
  computeTotal([{ price: null }]);
} catch (e) {
  wlog.error(e); // winston keeps the stack; the line names no error type
}
await new Promise((resolve) => {
  wlog.on("finish", resolve);
  wlog.end();
});

// pino to a stream posting NDJSON batches.
const lines = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    lines.push(chunk.toString());
    cb();
  },
});
const plog = pino({ base: { service: "orders-pino", run: RUN } }, sink);
plog.info({ order_id: `o-${RUN}`, user_id: `pino-user-${RUN}` }, "payment authorised");
plog.warn({ order_id: `o-${RUN}` }, "stock low after order");
const res = await fetch(`${LORE_URL}/api/v1/ingest`, {
  method: "POST",
  headers: { Authorization: `Bearer ${LORE_KEY}`, "Content-Type": "application/x-ndjson" },
  body: lines.join(""),
});
console.log(JSON.stringify({ pino: res.status, lines: lines.length }));
