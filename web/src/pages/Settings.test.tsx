import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProjectInfo } from '../api';
import { Settings, snippets } from './Settings';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const project = (listeners: ProjectInfo['listeners']): ProjectInfo => ({
  project: { id: 2, name: 'shop', created_at: '2026-12-01T10:00:00Z' } as ProjectInfo['project'],
  keys: [],
  key_id: 0,
  retention: 'events are kept until deleted',
  pii_rules: [],
  listeners,
});

// serve answers GET /api/v1/project with p; the other cards' requests fail (they show their error).
function serve(p: ProjectInfo) {
  vi.stubGlobal('fetch', async (u: URL) => {
    if (u.pathname === '/api/v1/project') return new Response(JSON.stringify(p));
    return new Response(JSON.stringify({ error: 'not here' }), { status: 404 });
  });
}

describe('Settings listeners', () => {
  it('says which listeners are off and how to turn them on', async () => {
    serve(project({ otlp_grpc: '', syslog: [], forward: [] }));
    render(<Settings />);
    const list = await screen.findByRole('list', { name: 'listeners' });
    expect(list.textContent).toContain('OTLP/gRPC: off (lore serve --otlp-grpc-addr :4317)');
    expect(list.textContent).toContain('Syslog (TCP and UDP): off (lore serve --syslog-addr KEY@:5514)');
    expect(list.textContent).toContain('Fluent forward: off (lore serve --forward-addr KEY@:24224)');
    expect(document.body.textContent).not.toContain('OTLP/gRPC listens on 4317');
    expect(document.body.textContent).toContain('OTLP/gRPC is off on this server');
  });

  it('shows where the listeners that are on listen, and fills their ports into the snippets', async () => {
    serve(project({ otlp_grpc: '[::]:14317', syslog: ['0.0.0.0:1514', '127.0.0.1:1515'], forward: ['[::]:24225'] }));
    render(<Settings />);
    const list = await screen.findByRole('list', { name: 'listeners' });
    expect(list.textContent).toContain('OTLP/gRPC: listening on [::]:14317');
    expect(list.textContent).toContain('Syslog (TCP and UDP): listening on 0.0.0.0:1514, 127.0.0.1:1515');
    expect(list.textContent).toContain('Fluent forward: listening on [::]:24225');
    const code = (title: string) => screen.getByRole('region', { name: title }).querySelector('pre')!.textContent!;
    expect(code('OpenTelemetry Collector (OTLP/gRPC, port 14317)')).toContain(`endpoint: ${location.hostname}:14317`);
    expect(code('rsyslog')).toContain('port="1514" protocol="tcp"');
    expect(code('syslog-ng')).toContain('port(1514)');
    expect(code('Fluent Bit')).toContain('Port                 24225');
    expect(document.body.textContent).not.toContain('OTLP/gRPC is off');
  });
});

describe('Settings snippets without listeners', () => {
  it('keep the default ports and name the flags', () => {
    const s = Object.fromEntries(snippets('https://lore.example.com', 3).map((x) => [x.id, x]));
    expect(s['collector-grpc'].code).toContain('endpoint: lore.example.com:4317');
    expect(s['collector-grpc'].what).not.toContain('off');
    expect(s.rsyslog.what).toContain('lore serve --syslog-addr KEY@:5514');
    expect(s.syslogng.code).toContain('port(5514)');
    expect(s.fluentbit.code).toContain('with lore serve --forward-addr KEY@:24224');
  });
});
