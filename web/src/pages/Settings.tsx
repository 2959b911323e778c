// Settings: the project, its keys (roles and hints: Lore keeps only the
// keys' hashes, so secrets cannot be shown), retention and PII rules, and
// copy-paste snippets for every SDK and shipper Lore accepts, with this
// server's address, the project and the ports of the listeners that are on
// (OTLP/gRPC, syslog, Fluent forward) filled in; for a server admin, the
// danger zone that deletes the project (DeleteProject).
import { useState } from 'react';
import { get, type Listeners, type Me, type ProjectInfo } from '../api';
import { ChannelsSettings } from '../components/Channels';
import { ErrorMessage, Loading } from '../components/common';
import { DeleteProject } from '../components/DeleteProject';
import { DiskCard } from '../components/DiskCard';
import { LifecycleSettings } from '../components/LifecycleSettings';
import { fmtShort, useLoad } from '../util';
import './meta.css';

export interface Snippet {
  id: string;
  title: string;
  what: string;
  lang: string;
  code: string;
}

/** portOf is the port of a listener's address ("[::]:4317" → "4317"). */
export function portOf(addr: string): string {
  return addr.slice(addr.lastIndexOf(':') + 1);
}

/**
 * snippets are the ways to send data to Lore at origin (e.g. "https://lore.example.com") for a project; the
 * OTLP/gRPC, syslog and forward snippets take the ports of the listeners that are on (GET /api/v1/project's
 * listeners), and say how to turn on those that are off (or, with no listeners given, what the flags would be).
 */
export function snippets(origin: string, project: number, listeners?: Listeners): Snippet[] {
  const u = new URL(origin);
  const hostPort = u.host;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const tls = u.protocol === 'https:';
  const grpc = listeners?.otlp_grpc ? portOf(listeners.otlp_grpc) : '';
  const syslog = listeners?.syslog?.length ? portOf(listeners.syslog[0]) : '';
  const forward = listeners?.forward?.length ? portOf(listeners.forward[0]) : '';
  const grpcOff = listeners && !grpc ? 'OTLP/gRPC is off on this server (lore serve --otlp-grpc-addr :4317 turns it on). ' : '';
  const syslogTo = syslog ? `this server’s syslog listener (port ${syslog})` : 'a syslog listener (lore serve --syslog-addr KEY@:5514)';
  return [
    {
      id: 'curl',
      title: 'JSON lines with curl',
      what: 'Any JSON lines (NDJSON), logfmt or plain text lines; field names of common loggers are understood.',
      lang: 'sh',
      code: `curl -H "Authorization: Bearer $LORE_INGEST_KEY" \\
  --data-binary @app.log "${origin}/api/v1/ingest?service=my-service"

echo '{"level":"info","service":"web","message":"hello"}' | \\
  curl -H "Authorization: Bearer $LORE_INGEST_KEY" --data-binary @- ${origin}/api/v1/ingest`,
    },
    {
      id: 'cli',
      title: 'Existing log files with lore ingest',
      what: 'Imports files (.gz and .zst too) with a progress line and a summary of rejected lines.',
      lang: 'sh',
      code: `lore ingest --url ${origin} --key $LORE_INGEST_KEY /var/log/app/*.log.gz`,
    },
    {
      id: 'otel',
      title: 'OpenTelemetry SDKs and the Collector (OTLP/HTTP)',
      what: 'Logs and traces over OTLP/HTTP, protobuf or JSON. Set these for any OpenTelemetry SDK:',
      lang: 'sh',
      code: `export OTEL_EXPORTER_OTLP_ENDPOINT=${origin}
export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer $LORE_INGEST_KEY"
export OTEL_SERVICE_NAME=my-service`,
    },
    {
      id: 'collector',
      title: 'OpenTelemetry Collector',
      what: 'An otlphttp exporter in the Collector’s configuration:',
      lang: 'yaml',
      code: `exporters:
  otlphttp/lore:
    endpoint: ${origin}
    headers:
      Authorization: "Bearer \${env:LORE_INGEST_KEY}"
service:
  pipelines:
    logs:   {receivers: [otlp], exporters: [otlphttp/lore]}
    traces: {receivers: [otlp], exporters: [otlphttp/lore]}`,
    },
    {
      id: 'sentry',
      title: 'Sentry SDKs (errors, transactions, logs)',
      what: 'Point any Sentry SDK at this DSN; the ingest key is its public key:',
      lang: 'js',
      code: `Sentry.init({
  dsn: "${u.protocol}//LORE_INGEST_KEY@${hostPort}/${project}",
  release: "my-app@1.0.0",
  environment: "production",
  tracesSampleRate: 1.0,
});`,
    },
    {
      id: 'browser',
      title: 'Browser SDK',
      what: 'Page views, clicks, identify, errors and page-load timings; fetch/XHR calls carry a traceparent so clicks join backend logs.',
      lang: 'html',
      code: `<script src="${origin}/sdk.js"></script>
<script>
  lore.init("LORE_INGEST_KEY", { host: "${origin}" });
  lore.identify("user_123");
  lore.track("Checkout Started", { plan: "pro" });
</script>`,
    },
    {
      id: 'segment',
      title: 'Segment (HTTP tracking API and analytics libraries)',
      what: 'Send Segment’s calls to Lore: the ingest key is the write key.',
      lang: 'sh',
      code: `curl -u "$LORE_INGEST_KEY:" -H 'Content-Type: application/json' ${origin}/v1/track \\
  -d '{"userId":"user_123","event":"Order Completed","properties":{"revenue":42}}'

# analytics-node: new Analytics({ writeKey: LORE_INGEST_KEY, host: "${origin}" })`,
    },
    {
      id: 'posthog',
      title: 'PostHog clients',
      what: 'posthog-js, posthog-go and the other clients work unchanged with Lore as their host:',
      lang: 'js',
      code: `posthog.init("LORE_INGEST_KEY", { api_host: "${origin}" });
posthog.capture("Order Completed", { revenue: 42 });`,
    },
    {
      id: 'gosdk',
      title: 'Go SDK (log/slog, net/http)',
      what: 'A slog handler shipping batches, request middleware (traceparent, X-Request-Id) and a RoundTripper that carries the trace downstream:',
      lang: 'go',
      code: `import lore "github.com/lore-dev/lore/sdk/go"

client := lore.NewClient(lore.ClientOptions{Endpoint: "${origin}", Key: os.Getenv("LORE_INGEST_KEY")})
defer client.Close(context.Background()) // flushes
log := slog.New(lore.NewHandler(client, &lore.HandlerOptions{Service: "checkout"}))
http.ListenAndServe(":8080", lore.Middleware(log, mux))
out := &http.Client{Transport: &lore.Transport{Logger: log}}`,
    },
    {
      id: 'agent',
      title: 'lore agent (files and the systemd journal)',
      what: 'Follows files through rotation and truncation, joins stack traces, keeps offsets on disk:',
      lang: 'sh',
      code: `LORE_INGEST_KEY=... lore agent --url ${origin} --state /var/lib/lore-agent \
  '/var/log/app/*.log' --journal`,
    },
    {
      id: 'collector-grpc',
      title: `OpenTelemetry Collector (OTLP/gRPC, port ${grpc || '4317'})`,
      what: `${grpcOff}The Collector’s default otlp exporter; the key goes in the authorization metadata:`,
      lang: 'yaml',
      code: `exporters:
  otlp/lore:
    endpoint: ${u.hostname}:${grpc || '4317'}
    tls: {insecure: ${tls ? 'false' : 'true'}}
    headers:
      authorization: "Bearer \${env:LORE_INGEST_KEY}"
service:
  pipelines:
    logs:   {receivers: [otlp], exporters: [otlp/lore]}
    traces: {receivers: [otlp], exporters: [otlp/lore]}`,
    },
    {
      id: 'vector',
      title: 'Vector',
      what: 'The elasticsearch sink (Lore answers Elasticsearch’s bulk API):',
      lang: 'toml',
      code: `[sinks.lore]
type = "elasticsearch"
inputs = ["my_logs"]
endpoints = ["${origin}"]
bulk.index = "vector-%Y.%m.%d"
compression = "gzip"
auth.strategy = "basic"
auth.user = "lore"
auth.password = "\${LORE_INGEST_KEY}"`,
    },
    {
      id: 'fluentbit',
      title: 'Fluent Bit',
      what: forward ? `The es output (or forward to this server’s forward listener, port ${forward}, with acks):` : 'The es output (or forward to a --forward-addr listener, with acks):',
      lang: 'ini',
      code: `[OUTPUT]
    Name               es
    Match              *
    Host               ${u.hostname}
    Port               ${port}
    HTTP_User          lore
    HTTP_Passwd        \${LORE_INGEST_KEY}
    Index              fluent-bit
    Suppress_Type_Name On
    Compress           gzip${tls ? '\n    tls                On' : ''}

# or, ${forward ? `to the forward listener (port ${forward})` : 'with lore serve --forward-addr KEY@:24224'}
[OUTPUT]
    Name                 forward
    Match                *
    Host                 ${u.hostname}
    Port                 ${forward || '24224'}
    Require_ack_response true`,
    },
    {
      id: 'filebeat',
      title: 'Filebeat',
      what: 'The elasticsearch output, unchanged but for the host and the key:',
      lang: 'yaml',
      code: `output.elasticsearch:
  hosts: ["${origin}"]
  username: "lore"
  password: "\${LORE_INGEST_KEY}"`,
    },
    {
      id: 'logstash',
      title: 'Logstash',
      what: 'The elasticsearch output:',
      lang: 'ruby',
      code: `output {
  elasticsearch {
    hosts    => ["${origin}"]
    user     => "lore"
    password => "\${LORE_INGEST_KEY}"
  }
}`,
    },
    {
      id: 'alloy',
      title: 'Grafana Alloy (and Promtail)',
      what: 'loki.write pushes to Lore’s Loki API; labels and structured metadata become fields:',
      lang: 'alloy',
      code: `loki.write "lore" {
  endpoint {
    url          = "${origin}/loki/api/v1/push"
    bearer_token = sys.env("LORE_INGEST_KEY")
  }
}
// Promtail: clients: [{url: ${origin}/loki/api/v1/push, bearer_token: KEY}]`,
    },
    {
      id: 'rsyslog',
      title: 'rsyslog',
      what: `Forward over TCP to ${syslogTo}, or through omelasticsearch:`,
      lang: 'conf',
      code: `action(type="omfwd" target="${u.hostname}" port="${syslog || '5514'}" protocol="tcp"
       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")

# or: apt install rsyslog-elasticsearch
module(load="omelasticsearch")
action(type="omelasticsearch" server="${u.hostname}" serverport="${port}" searchIndex="rsyslog"
       bulkmode="on" uid="lore" pwd="LORE_INGEST_KEY"${tls ? ' usehttps="on"' : ''})`,
    },
    {
      id: 'syslogng',
      title: 'syslog-ng',
      what: `RFC 5424 over TCP to ${syslogTo}:`,
      lang: 'conf',
      code: `destination d_lore { syslog("${u.hostname}" port(${syslog || '5514'}) transport("tcp")); };
log { source(s_src); destination(d_lore); };`,
    },
  ];
}

/** ListenerLines say which listeners beside HTTP are on, where, and how to turn on those that are off. */
export function ListenerLines({ listeners }: { listeners: Listeners }) {
  const on = (addrs: string[] | null | undefined) => (addrs?.length ? addrs.join(', ') : '');
  const rows: [string, string, string][] = [
    ['OTLP/gRPC', listeners.otlp_grpc, '--otlp-grpc-addr :4317'],
    ['Syslog (TCP and UDP)', on(listeners.syslog), '--syslog-addr KEY@:5514'],
    ['Fluent forward', on(listeners.forward), '--forward-addr KEY@:24224'],
  ];
  return (
    <ul className="listeners" aria-label="listeners">
      {rows.map(([name, addr, flag]) => (
        <li key={name}>
          {name}:{' '}
          {addr ? (
            <>
              listening on <code>{addr}</code>
            </>
          ) : (
            <>
              off (<code>lore serve {flag}</code>)
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

function Copy({ text }: { text: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="plain copy"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setDone(true);
          setTimeout(() => setDone(false), 1500);
        } catch {
          setDone(false);
        }
      }}
    >
      {done ? 'copied' : 'copy'}
    </button>
  );
}

export function Settings({ me }: { me?: Me }) {
  const p = useLoad((signal) => get<ProjectInfo>('/api/v1/project', undefined, signal), []);
  const project = p.data?.project.id || 1;
  return (
    <div className="settings">
      <h2>Settings</h2>
      <ErrorMessage error={p.error} />
      <Loading on={p.loading && !p.data} />
      {p.data && (
        <div className="settings-grid">
          <section>
            <h3>Project</h3>
            <table className="kv">
              <tbody>
                <tr>
                  <th>name</th>
                  <td>{p.data.project.name}</td>
                </tr>
                <tr>
                  <th>id</th>
                  <td>{p.data.project.id}</td>
                </tr>
                <tr>
                  <th>created</th>
                  <td>{fmtShort(p.data.project.created_at)}</td>
                </tr>
                <tr>
                  <th>server</th>
                  <td>{location.origin}</td>
                </tr>
              </tbody>
            </table>
            <h3>Retention</h3>
            <p>{p.data.retention}.</p>
            {p.data.disk && (
              <>
                <h3>Disk</h3>
                <DiskCard disk={p.data.disk} />
              </>
            )}
            <h3>PII rules</h3>
            {p.data.pii_rules?.length ? (
              <ul>
                {p.data.pii_rules.map((x) => (
                  <li key={x}>
                    <code>{x}</code>
                  </li>
                ))}
              </ul>
            ) : (
              <p>None: Lore stores fields as they arrive. Leave secrets and personal data out at the source, or drop them in your shipper.</p>
            )}
          </section>
          <section>
            <h3>Keys</h3>
            <p className="muted">
              Lore stores only a hash of each key, so no key can be shown again: an ingest key can only send events, a read key can only read, member and admin keys
              act with those roles. Admins create, rotate and revoke keys under Access.
            </p>
            <table className="key-table">
              <thead>
                <tr>
                  <th>id</th>
                  <th>role</th>
                  <th>starts with</th>
                  <th>created</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {(p.data.keys || []).map((k) => (
                  <tr key={k.id}>
                    <td>{k.id}</td>
                    <td>{k.role}</td>
                    <td>
                      <code>{k.hint}</code>
                    </td>
                    <td className="ts">{fmtShort(k.created_at)}</td>
                    <td>{k.id === p.data!.key_id && <span className="tagl">this browser</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p>Or on the server’s machine (the server may be running):</p>
            <pre className="snippet">{`lore keys create --data DIR --role ingest   # ingest, read, member or admin; printed once
lore keys rotate --data DIR ID --overlap 24h
lore keys revoke --data DIR ID             # refused within 2 seconds`}</pre>
            <p className="muted">
              Scripts can also pin keys with <code>lore serve --ingest-key … --read-key … --admin-key …</code>.
            </p>
          </section>
        </div>
      )}
      <LifecycleSettings />
      <ChannelsSettings />
      <h3>Send data</h3>
      <p className="muted">
        Replace <code>LORE_INGEST_KEY</code> with an ingest key of project {project}. Every path below writes to the same events table, joined by trace, user and
        session ids.
      </p>
      <div className="snippets">
        {snippets(location.origin, project, p.data?.listeners).map((s) => (
          <section className="snippet-box" key={s.id} aria-label={s.title}>
            <header>
              <h4>{s.title}</h4>
              <Copy text={s.code} />
            </header>
            <p className="muted">{s.what}</p>
            <pre className="snippet">
              <code>{s.code}</code>
            </pre>
          </section>
        ))}
      </div>
      {p.data && (
        <>
          <p className="muted">OTLP/gRPC, syslog and Fluent forward listen on ports of their own; on this server:</p>
          <ListenerLines listeners={p.data.listeners} />
        </>
      )}
      {me && p.data && <DeleteProject project={p.data.project} me={me} />}
    </div>
  );
}
