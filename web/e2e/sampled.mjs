// Sampled counts in the browser: a tenth of a service's info logs kept by
// the project's sampling; Explore's facets and histogram note, a pipes
// count (its table, bars and line chart legend), a pinned facet on a dashboard and the Overview's totals say they are estimated
// and show the estimate (about the 2000 sent), not the ~200 stored; a count
// monitor alerts on the estimate and shows its value as ≈, in the list and
// on its page. The sampling is set back to keep everything afterwards, and
// the monitor deleted.
import { api, check, env, post, run } from './harness.mjs';

const service = 'sampled-e2e-' + Date.now();
const put = (path, body) => api(path, { method: 'PUT', body: JSON.stringify(body) });

await put('/api/v1/settings/sampling', { info_logs: 0.1 });
let ok = false;
let monitor;
try {
  const now = Date.now();
  const lines = [];
  for (let i = 0; i < 2000; i++) {
    lines.push(JSON.stringify({ ts: new Date(now - i * 200).toISOString(), level: 'info', service, msg: `sampled line ${i}` }));
  }
  const r = await fetch(env.lore + '/api/v1/ingest', {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + env.ingestKey, 'Content-Type': 'application/x-ndjson' },
    body: lines.join('\n') + '\n',
  });
  check(r.ok, `ingest 2000 info logs of ${service} (${r.status})`);
  // The store commits in the background: wait for the estimate.
  const q = `service:${service}`;
  let facets;
  for (let i = 0; i < 60; i++) {
    facets = await api(`/api/v1/facets?${new URLSearchParams({ q, field: 'level', from: 'now-15m', to: 'now+1m' })}`);
    if (facets.sampled && facets.total > 100) break;
    await new Promise((ok) => setTimeout(ok, 500));
  }
  check(facets.sampled && facets.sampled.estimated_total > 1500 && facets.sampled.estimated_total < 2500, `the API estimates ${facets.sampled?.estimated_total} of 2000 from ${facets.total} stored`);
  // Above 1000 only by the estimate: about 200 are stored.
  monitor = await post('/api/v1/monitors', { name: `${service} traffic`, kind: 'query', query: q, threshold: 1000, window: '15m' });
  const evaluated = await post(`/api/v1/monitors/${monitor.id}/evaluate`);
  check(evaluated.state === 'alert' && evaluated.approximate && evaluated.sampled > 100, `the monitor alerts on an approximate ${evaluated.value} (${evaluated.sampled} sampled events)`);

  ok = await run(async (page, shot, base) => {
    await page.goto(`${base}/#/explore?${new URLSearchParams({ q, from: 'now-15m' })}`);
    const note = page.locator('.estimated');
    await note.waitFor();
    check(/events \(estimated\)/.test(await note.textContent()), 'Explore says the total is estimated');
    const levelFacet = page.locator('.facet', { has: page.locator('h4', { hasText: 'level' }) });
    await levelFacet.waitFor();
    check(/\(estimated\)/.test(await levelFacet.locator('h4').textContent()), 'the level facet says it is estimated');
    const count = await levelFacet.locator('.estimated-count').first().textContent();
    const n = Number(count.replace(/[≈,]/g, ''));
    check(n > 1500 && n < 2500, `the info facet shows ≈${n}, about the 2000 sent`);
    await shot('sampled-explore');

    // Pipes estimate their counts the same way, and say so.
    const pq = `service:${service} | stats count() as n by level`;
    await page.goto(`${base}/#/explore?${new URLSearchParams({ q: pq, from: 'now-15m' })}`);
    const head = page.locator('table.qtable thead th', { hasText: 'n (estimated)' });
    await head.waitFor();
    const cell = await page.locator('table.qtable tbody tr', { hasText: 'info' }).locator('td').nth(1).textContent();
    const pn = Number(cell.replace(/[≈,]/g, ''));
    check(cell.startsWith('≈') && pn > 1500 && pn < 2500, `the pipes table marks its count estimated: ${cell}, about the 2000 sent`);
    const bar = await page.locator('.qbars .qval').first().textContent();
    check(bar.startsWith('≈'), `the bar's value is marked too: ${bar}`);
    await shot('sampled-pipes');

    // A line chart of an estimated count says so in its legend (one line: the measure's label),
    // and above the chart when the legend names groups.
    await page.goto(`${base}/#/explore?${new URLSearchParams({ q: `service:${service} | timechart span=1m count() as n`, from: 'now-15m' })}`);
    const legend = page.locator('[data-chart="line"] .u-legend');
    await legend.waitFor();
    const labels = await legend.locator('.u-label').allTextContents();
    check(labels.includes('n (estimated)'), `the line chart's legend marks the count estimated: ${labels.join(' | ')}`);
    await shot('sampled-timechart');
    await page.goto(`${base}/#/explore?${new URLSearchParams({ q: `service:${service} | timechart span=1m count() as n by level`, from: 'now-15m' })}`);
    const mark = page.locator('[data-chart="line"] .chart-mark');
    await mark.waitFor();
    check((await mark.textContent()) === 'n (estimated)', `a grouped line chart names its estimated measure: ${await mark.textContent()}`);
    await shot('sampled-timechart-by');

    await page.goto(`${base}/#/overview?from=now-15m`);
    const events = page.locator('.num', { hasText: 'events (estimated)' });
    await events.waitFor();
    check((await events.locator('b').textContent()).startsWith('≈'), 'the Overview marks its events total estimated');
    await shot('sampled-overview');

    // The monitor's value is marked ≈, titled with what it was estimated from.
    await page.goto(`${base}/#/monitors`);
    const listed = page.locator('tr.mon-row', { hasText: monitor.name }).locator('.mon-value .estimated-count');
    await listed.waitFor();
    const lv = await listed.textContent();
    const ln = Number(lv.replace(/[≈,]/g, ''));
    check(lv.startsWith('≈') && ln > 1500 && ln < 2500, `the monitors list shows ${lv}, about the 2000 sent`);
    check(/^estimated from sampled events: [\d,]+ of the events measured were kept/.test(await listed.getAttribute('title')), 'the list says the value is estimated from sampled events');
    await shot('sampled-monitors');
    await page.goto(`${base}/#/monitors/${monitor.id}`);
    const big = page.locator('.mon-value.big .estimated-count');
    await big.waitFor();
    check((await big.textContent()) === lv, `the monitor's page shows ${await big.textContent()}, as the list`);
    const change = page.locator('.mon-history tr', { hasText: 'alert' }).first();
    await change.waitFor();
    check((await change.locator('.estimated-count').textContent()).startsWith('≈'), "the monitor's history marks its alert's value ≈");
    await shot('sampled-monitor');
  });
} finally {
  await put('/api/v1/settings/sampling', {});
  if (monitor) await api(`/api/v1/monitors/${monitor.id}`, { method: 'DELETE' }).catch((e) => console.error(e.message));
}
process.exit(ok ? 0 : 1);
