// The browser test of the Monitors page and the Overview's "monitors
// down": on a running `lore demo`, it creates a monitor through the UI's
// form (first with a window the API refuses, whose message must show),
// evaluates it, checks its state and value against the API's own count,
// adds a second monitor through the API, reads the list and the Overview,
// screenshots each, and deletes what it created. Run by scripts/web-test.sh.
import { api, check, env, post, run } from './harness.mjs';

const { range } = env;
const window = '4d'; // the demo's history is --days 2 from the midnight before, so a 4-day window holds all of it
const del = (id) => api(`/api/v1/monitors/${id}`, { method: 'DELETE' });

const created = [];
const ok = await run(async (page, shot, base, allow) => {
  const errs = await api(`/api/v1/facets?field=kind&limit=1&q=${encodeURIComponent('level:error')}&from=now-${window}`);
  check(errs.total > 0, `the demo has ${errs.total} error events in the last ${window}`);

  await page.goto(`${base}/#/monitors?from=${range}`);
  await page.getByText(/No monitor yet|alerting/).first().waitFor();
  await page.getByText('New monitor').click();
  await page.getByLabel('monitor name').fill('e2e: errors');
  await page.getByLabel('monitor query').fill('level:error');
  await page.getByLabel('monitor threshold').fill('1');
  await page.getByLabel('monitor window').fill('0s');
  allow(/status of 400/);
  await page.getByText('Create monitor').click();
  await page.getByText(/window "0s" must be above zero/).waitFor();
  check(true, 'a refused window is explained on the form');
  await shot('monitors-form-error');

  await page.getByLabel('monitor window').fill(window);
  await page.getByText('Create monitor').click();
  await page.waitForURL(/#\/monitors\/\d+/);
  const id = Number(page.url().match(/#\/monitors\/(\d+)/)[1]);
  created.push(id);
  // (The server's own evaluator may have been quicker than this page: then it is evaluated already.)
  const badge = await page.locator('.mon-head .mstate').textContent();
  const fresh = await api(`/api/v1/monitors/${id}`);
  check(badge === 'no data' || fresh.last_evaluated, `a new monitor has no data until evaluated (${badge})`);
  await page.getByRole('button', { name: 'Evaluate now' }).click();
  await page.locator('.mon-head .mstate-alert').waitFor();
  const m = await api(`/api/v1/monitors/${id}`);
  check(m.state === 'alert' && m.value > 0, `the API says alert at ${m.value}`);
  // The evaluator's count and the facets' count read the same window a moment apart.
  check(Math.abs(m.value - errs.total) <= errs.total * 0.01, `the monitor counted ${m.value} errors, the facets ${errs.total}`);
  const shown = await page.locator('.mon-head .mon-value').textContent();
  check(shown === String(m.value), `the page shows the value ${m.value} (${shown})`);
  await page.locator('.mon-history tr').first().waitFor();
  const hist = await page.locator('.mon-history tr').first().textContent();
  check(hist.includes('no data') && hist.includes('alert'), `the history shows no data → alert (${hist})`);
  await shot('monitor-detail');

  // A latency monitor through the API, far above any p95: ok.
  const lat = await post('/api/v1/monitors', { name: 'e2e: payment p95', kind: 'latency', query: 'service:payment-service', threshold: 600000, window });
  created.push(lat.id);
  const evald = await post(`/api/v1/monitors/${lat.id}/evaluate`, {});
  check(evald.state === 'ok' || evald.state === 'no_data', `the latency monitor is ${evald.state} (p95 ${evald.value} ms)`);

  await page.goto(`${base}/#/monitors?from=${range}`);
  await page.locator('table.mon-list tbody tr').first().waitFor();
  const list = await api('/api/v1/monitors');
  const rows = await page.locator('table.mon-list tbody tr').count();
  check(rows === list.monitors.length, `the list shows ${list.monitors.length} monitors (${rows})`);
  const row = page.locator('tr', { has: page.getByText('e2e: errors', { exact: true }) });
  check((await row.locator('.mstate').textContent()) === 'alert', 'the errors monitor is alerting in the list');
  check((await row.locator('.mon-rule').textContent()) === `count > 1 over ${window}`, 'its rule reads as a sentence');
  await page.getByText(`${list.alerting} of ${list.monitors.length} alerting`).waitFor();
  await shot('monitors');

  await page.goto(`${base}/#/overview?from=${range}`);
  const down = page.locator('a.num', { hasText: 'monitors down' });
  await down.locator('b', { hasText: /^\d+$/ }).waitFor();
  const n = Number(await down.locator('b').textContent());
  check(n === list.alerting && n >= 1, `the Overview shows ${list.alerting} monitors down (${n})`);
  await shot('overview-monitors', { clip: { x: 0, y: 0, width: 1440, height: 1000 } });
});
for (const id of created) await del(id).catch((e) => console.error(`delete monitor ${id}: ${e.message}`));
process.exit(ok ? 0 : 1);
