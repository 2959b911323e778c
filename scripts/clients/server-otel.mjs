// The OpenTelemetry Node SDK against Lore's OTLP/HTTP endpoints, with the
// JSON exporters (argv[2] "json") or the protobuf ones ("proto"): a server
// span with a child span that fails with a recorded exception, and logs
// emitted inside them. Driven by internal/e2e's TestClients; prints the
// trace id.
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace";
import { BatchLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { OTLPTraceExporter as JSONTraces } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoTraces } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPLogExporter as JSONLogs } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoLogs } from "@opentelemetry/exporter-logs-otlp-proto";
import { trace, logs, SeverityNumber, SpanStatusCode, SpanKind } from "@opentelemetry/api";

const { LORE_URL, LORE_KEY } = process.env;
const proto = process.argv[2] === "proto";
const headers = { Authorization: `Bearer ${LORE_KEY}` };
const traces = proto ? new ProtoTraces({ url: `${LORE_URL}/v1/traces`, headers }) : new JSONTraces({ url: `${LORE_URL}/v1/traces`, headers });
const logExp = proto ? new ProtoLogs({ url: `${LORE_URL}/v1/logs`, headers }) : new JSONLogs({ url: `${LORE_URL}/v1/logs`, headers });
const service = proto ? "inventory-proto" : "inventory-json";
const sdk = new NodeSDK({
  serviceName: service,
  spanProcessors: [new BatchSpanProcessor({ exporter: traces })],
  logRecordProcessors: [new BatchLogRecordProcessor({ exporter: logExp })],
});
sdk.start();

const tracer = trace.getTracer("clients-suite");
const logger = logs.getLogger("clients-suite");
let traceId = "";
await tracer.startActiveSpan("GET /stock/{sku}", { kind: SpanKind.SERVER, attributes: { "http.request.method": "GET", "http.route": "/stock/{sku}", "http.response.status_code": 503 } }, async (root) => {
  traceId = root.spanContext().traceId;
  logger.emit({ severityNumber: SeverityNumber.INFO, severityText: "INFO", body: "checking stock for sku-7", attributes: { sku: "sku-7" } });
  await tracer.startActiveSpan("SELECT stock", { attributes: { "db.system.name": "postgresql" } }, async (child) => {
    try {
      throw new Error("connection refused: stock-db:5432");
    } catch (e) {
      child.recordException(e);
      child.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
      logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: "ERROR", body: "stock query failed", attributes: { "exception.type": e.name, "exception.message": e.message, "exception.stacktrace": e.stack } });
    }
    child.end();
  });
  root.setStatus({ code: SpanStatusCode.ERROR });
  root.end();
});
await sdk.shutdown();
console.log(JSON.stringify({ traceId, service }));
