// The browser test of pipes in the UI (through harness.mjs, on a running
// `lore demo`): in Explore it types a query with pipes, taking "stats"
// from the suggestions after '|', and checks the bar chart and the table
// against GET /api/v1/query; a timechart draws lines; a refused query
// marks its pipe beside the search bar; the aggregate is pinned to a new
// dashboard whose panel draws it again; an aggregate monitor is created
// through the form and evaluated, one series per endpoint. It deletes
// what it made and screenshots each step. Run by scripts/web-test.sh.
import { api, check, env, run } from './harness.mjs';

const { range } = env;
const made = { dashboards: [], monitors: [] };

const ok = await run(async (page, shot, base, allow) => {
  const q = 'service:payment-service | stats count() as n, p95(duration_ms) as p95 by endpoint | sort n desc | limit 10';
  const want = await api(`/api/v1/query?q=${encodeURIComponent(q)}&from=${range}`);
  check(want.aggregate && want.chart === 'bar' && want.rows.length > 1, `the API answers ${want.rows.length} endpoints of payment-service`);

  // Type the query, taking "stats" from the suggestions after '|'.
  await page.goto(`${base}/#/explore?from=${range}`);
  const bar = page.getByLabel('search');
  await bar.click();
  await bar.pressSequentially('service:payment-service | st');
  await page.getByRole('option', { name: /^stats/ }).waitFor();
  await shot('pipes-suggest');
  await bar.press('Tab');
  check((await bar.inputValue()) === 'service:payment-service | stats ', 'Tab takes the pipe "stats" from the suggestions');
  await bar.pressSequentially('count() as n, p9');
  await page.getByRole('option', { name: /^p95\(\)/ }).waitFor();
  check(true, 'the bar suggests the aggregates p90(), p95(), p99() inside stats');
  await bar.fill(q);
  await bar.press('Enter');
  await page.locator('.answer-chart[data-chart="bar"] .qbars li').first().waitFor();
  const bars = await page.locator('.qbars li .qlabel').allTextContents();
  const first = want.rows[0][0] === '' ? '(empty)' : want.rows[0][0];
  check(bars.length === want.rows.length && bars[0] === first, `a bar per endpoint, ${bars[0]} first (${bars.length})`);
  const rows = await page.locator('table.qtable tbody tr').count();
  check(rows === want.rows.length, `the table has the API's ${want.rows.length} rows (${rows})`);
  const head = await page.locator('table.qtable thead th').allTextContents();
  check(head.join(',') === 'endpoint,n,p95', `its columns are endpoint, n, p95 (${head})`);
  check((await page.locator('table.events').count()) === 0, 'no event list under an aggregate');
  await shot('pipes-stats');
  // A bar opens its group's events.
  const named = want.rows.find((r) => r[0] !== '');
  await page.locator('.qbars a', { hasText: named[0] }).first().click();
  await page.locator('table.events tbody tr').first().waitFor();
  check((await page.getByLabel('search').inputValue()) === `service:payment-service endpoint:${named[0]}`, `the bar ${named[0]} opens its events in Explore`);

  // A timechart draws lines.
  const tq = 'level:error | timechart span=1h count() by service';
  await page.goto(`${base}/#/explore?q=${encodeURIComponent(tq)}&from=${range}`);
  await page.locator('.answer-chart[data-chart="line"] canvas').first().waitFor();
  check(true, 'a timechart draws lines');
  await shot('pipes-timechart');

  // A refused query marks its pipe and column beside the search bar.
  allow(/status of 400/);
  const bad = 'level:error | stats p95(duration_ms) by endpoint | sort nope desc';
  await page.goto(`${base}/#/explore?q=${encodeURIComponent(bad)}&from=${range}`);
  const box = page.getByRole('alert', { name: 'query error' });
  await box.waitFor();
  const marked = await box.locator('mark').textContent();
  check(marked.trim() === '| sort nope desc', `the error marks the pipe at fault ("${marked.trim()}"): ${(await box.locator('div').first().textContent()).slice(0, 120)}`);
  await shot('pipes-error');
  // The same two views in the dark scheme.
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot('pipes-error-dark');
  await page.goto(`${base}/#/explore?q=${encodeURIComponent(q)}&from=${range}`);
  await page.locator('.qbars li').first().waitFor();
  await shot('pipes-stats-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // Pin the aggregate to a new dashboard; its panel draws it again.
  const name = 'E2E pipes ' + Date.now();
  await page.goto(`${base}/#/explore?q=${encodeURIComponent(q)}&from=${range}`);
  await page.locator('.qbars li').first().waitFor();
  await page.getByRole('button', { name: /Pin to dashboard/ }).click();
  await page.getByLabel('dashboard', { exact: true }).selectOption('new');
  await page.getByLabel('new dashboard name').fill(name);
  await page.getByLabel('panel title').fill('payment endpoints');
  await page.getByRole('button', { name: 'Pin', exact: true }).click();
  const pinned = page.getByRole('status').filter({ hasText: 'Pinned to' });
  await pinned.waitFor();
  const d = (await api('/api/v1/dashboards')).dashboards.find((x) => x.name === name);
  made.dashboards.push(d.id);
  check(d.panels.length === 1 && d.panels[0].kind === 'query' && d.panels[0].query === q, `the dashboard keeps a query panel with the pipeline`);
  await pinned.getByRole('link').click();
  await page.waitForURL(/#\/dashboards\/\d+/);
  await page.goto(`${base}/#/dashboards/${d.id}?from=${range}`);
  const panel = page.locator('section.dpanel-query');
  await panel.locator('.qbars li').first().waitFor();
  const pbars = await panel.locator('.qbars li').count();
  check(pbars === want.rows.length, `the dashboard panel draws ${pbars} bars from /api/v1/query`);
  await shot('pipes-dashboard');

  // An aggregate monitor through the form: one series per endpoint.
  await page.goto(`${base}/#/monitors/new`);
  await page.getByLabel('monitor name').fill('e2e: slow payment endpoints');
  await page.getByLabel('monitor kind').selectOption('aggregate');
  await page.getByLabel('monitor measure').fill('p99');
  await page.getByLabel('monitor window').fill('3d');
  await page.getByText('Create monitor').click();
  await page.getByText(/measure "p99" is not a numeric column/).waitFor();
  check(true, 'a measure the pipeline does not answer is refused on the form');
  await page.getByLabel('monitor measure').fill('p95');
  await page.getByLabel('monitor threshold').fill('100');
  await shot('pipes-monitor-form');
  await page.getByText('Create monitor').click();
  await page.waitForURL(/#\/monitors\/\d+/);
  const id = Number(page.url().match(/#\/monitors\/(\d+)/)[1]);
  made.monitors.push(id);
  await page.getByRole('button', { name: 'Evaluate now' }).click();
  await page.locator('.mon-head .mstate:not(.mstate-no_data)').waitFor();
  const m = await api(`/api/v1/monitors/${id}`);
  const p95 = await api(`/api/v1/query?q=${encodeURIComponent('service:payment-service | stats p95(duration_ms) as p95 by endpoint')}&from=now-3d`);
  check(m.kind === 'aggregate' && (m.series || []).length === p95.rows.length, `the monitor has a series per endpoint (${(m.series || []).length} of ${p95.rows.length})`);
  const over = p95.rows.filter((r) => r[1] > 100).length;
  const alerting = m.series.filter((s) => s.state === 'alert').length;
  check(alerting === over, `${alerting} endpoints alert, the ${over} whose p95 is over 100 ms`);
  await shot('pipes-monitor');
});
for (const id of made.dashboards) await api(`/api/v1/dashboards/${id}`, { method: 'DELETE' }).catch((e) => console.error(`delete dashboard ${id}: ${e.message}`));
for (const id of made.monitors) await api(`/api/v1/monitors/${id}`, { method: 'DELETE' }).catch((e) => console.error(`delete monitor ${id}: ${e.message}`));
process.exit(ok ? 0 : 1);
