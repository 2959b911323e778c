// The browser test of the Fields, Dashboards and Settings pages (through
// harness.mjs, on a running `lore demo`): asserts on what the API returns,
// follows what a user does (pin the Explore histogram, the Product funnel
// and a trend to a dashboard, save a search, import a YAML dashboard and
// download its export, run investigation templates), fails on console
// errors and saves a screenshot of every page. Run by scripts/web-test.sh.
import { readFileSync } from 'node:fs';
import { api, check, env, post, run, settled } from './harness.mjs';

const { key, range } = env;

const ok = await run(async (page, shot, base) => {
  // Fields: every field of the dictionary, its drift badges, the filter.
  const dict = await api(`/api/v1/fields?from=${range}`);
  check(dict.fields.length > 10, `the API's dictionary has ${dict.fields.length} fields, ${dict.drift} with drift`);
  await page.goto(`${base}/#/fields?from=${range}`);
  await page.locator('table.fields tbody tr').first().waitFor();
  const rows = await page.locator('table.fields tbody tr').count();
  check(rows === dict.fields.length, `fields lists all ${dict.fields.length} fields (${rows})`);
  const attr = dict.fields.find((f) => !f.column && f.examples.length > 0);
  const row = page.locator('table.fields tbody tr', { has: page.locator('a.fname', { hasText: new RegExp(`^${attr.name.replace(/[.$]/g, '\\$&')}$`) }) });
  const rowText = await row.innerText();
  check(rowText.includes(attr.type) && rowText.includes(attr.examples[0].slice(0, 20)), `field ${attr.name} shows its type ${attr.type} and example "${attr.examples[0].slice(0, 20)}"`);
  const badges = await page.locator('table.fields .drift').count();
  const want = dict.fields.reduce((n, f) => n + (f.drift || []).length, 0);
  check(badges === want, `fields shows ${want} drift badges (${badges})`);
  await shot('fields');
  await page.getByLabel('filter fields').fill('payment');
  const filtered = dict.fields.filter(
    (f) => f.name.includes('payment') || f.services.some((s) => s.service.includes('payment')) || f.examples.some((e) => e.toLowerCase().includes('payment')),
  ).length;
  await page.waitForFunction((n) => document.querySelectorAll('table.fields tbody tr').length === n, filtered);
  check(true, `the filter "payment" keeps ${filtered} fields`);
  await page.getByLabel('filter fields').fill('');
  if (dict.drift > 0) {
    await page.getByLabel('only fields with schema drift').check();
    await page.waitForFunction((n) => document.querySelectorAll('table.fields tbody tr').length === n, dict.drift);
    check(true, `"only fields with schema drift" keeps ${dict.drift}`);
    await shot('fields-drift');
  }
  // A field links to a search for events that have it.
  await page.goto(`${base}/#/fields?from=${range}&filter=http_status`);
  await page.locator('a.fname', { hasText: /^http_status$/ }).click();
  await page.waitForURL(/#\/explore\?q=http_status%3A\*/);
  await page.locator('table.events tbody tr').first().waitFor();
  check(true, 'a field opens Explore on field:*');

  // Pin the Explore histogram to a new dashboard, and save the search.
  const name = 'E2E errors ' + Date.now();
  await page.goto(`${base}/#/explore?q=${encodeURIComponent('level:error')}&from=${range}`);
  await page.locator('.hist canvas').first().waitFor();
  await page.getByRole('button', { name: /Pin to dashboard/ }).click();
  await page.getByLabel('dashboard', { exact: true }).selectOption('new');
  await page.getByLabel('new dashboard name').fill(name);
  await page.getByLabel('panel title').fill('Errors by level');
  await page.getByRole('button', { name: 'Pin', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Pinned to' }).waitFor();
  check(true, `explore histogram pinned to a new dashboard "${name}"`);
  await page.getByRole('button', { name: /Save search/ }).click();
  await page.getByLabel('search name').fill('errors ' + name);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  check(true, 'the Explore search is saved');
  await shot('explore-pinned');
  await page.locator('.pin-form a', { hasText: name }).click();
  await page.waitForURL(/#\/dashboards\/\d+/);
  const boardId = Number(page.url().match(/dashboards\/(\d+)/)[1]);

  // Pin the Product funnel to the same dashboard.
  const steps = [{ event: 'Product Viewed' }, { event: 'Checkout Started' }, { event: 'Order Completed' }];
  const funnel = await post('/api/v1/funnels', { steps, window: '1h', from: range, to: 'now' });
  await page.goto(`${base}/#/product?from=${range}`);
  await page.locator('.fstep').first().waitFor();
  await page.getByRole('button', { name: /Pin to dashboard/ }).click();
  await page.getByLabel('dashboard', { exact: true }).selectOption(String(boardId));
  await page.getByRole('button', { name: 'Pin', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Pinned to' }).waitFor();
  check(true, 'product funnel pinned to the same dashboard');

  // And a trend from Product → Trends.
  await page.goto(`${base}/#/product/trends?from=${range}&event=${encodeURIComponent('Order Completed')}`);
  await page.getByRole('button', { name: /Pin to dashboard/ }).click();
  await page.getByLabel('dashboard', { exact: true }).selectOption(String(boardId));
  await page.getByRole('button', { name: 'Pin', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Pinned to' }).waitFor();
  check(true, 'product trend pinned to the same dashboard');

  // And Explore's service facet.
  const services = await api(`/api/v1/facets?q=&field=service&limit=10&from=${range}`);
  await page.goto(`${base}/#/explore?q=&from=${range}`);
  const facet = page.locator('.facet', { has: page.locator('h4', { hasText: /^service$/ }) });
  await facet.getByRole('button', { name: '+ Pin' }).click();
  await page.getByLabel('dashboard', { exact: true }).selectOption(String(boardId));
  await page.getByRole('button', { name: 'Pin', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Pinned to' }).waitFor();
  check(true, 'explore service facet pinned to the same dashboard');

  // The dashboard draws the panels with real numbers.
  await page.goto(`${base}/#/dashboards/${boardId}?from=${range}`);
  await page.locator('.dpanel-facet .facet-bars li', { hasText: services.values[0].value }).first().waitFor();
  check(true, `the dashboard's facet panel lists ${services.values[0].value} first`);
  await page.locator('.dpanel-histogram .hist canvas').first().waitFor();
  for (const [i, s] of funnel.steps.entries()) {
    await page.locator('.dpanel-funnel .fstep', { hasText: `${i + 1}. ${s.name}` }).filter({ hasText: `${s.persons} persons` }).first().waitFor();
  }
  await page.locator('.dpanel-trend canvas').first().waitFor();
  check(true, `the dashboard draws the histogram, the funnel (${funnel.steps.map((s) => s.persons).join(' → ')}) and the trend`);
  await shot('dashboard');

  // Import a YAML dashboard with facet, trend and retention panels.
  const yaml = `name: Imported ${name}
description: imported by the browser test
panels:
  - title: Errors by service
    kind: facet
    query: level:error
    params: {field: service}
  - title: Orders
    kind: trend
    params: {event: Order Completed, measure: count, interval: 1h}
  - title: Returning buyers
    kind: retention
    params: {start_event: Product Viewed, return_event: Order Completed, period: day, periods: 3}
`;
  await page.goto(`${base}/#/dashboards?from=${range}`);
  await page.getByLabel('YAML', { exact: true }).fill(yaml);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Imported 1 dashboard' }).waitFor();
  check(true, 'a YAML dashboard imports');
  const savedSearch = page.locator('table.searches a', { hasText: 'errors ' + name });
  check((await savedSearch.count()) === 1, 'the saved search is listed');
  await shot('dashboards');
  await page.locator('a.dash-name', { hasText: 'Imported ' + name }).click();
  await page.waitForURL(/#\/dashboards\/\d+/);
  const facets = await api(`/api/v1/facets?q=level:error&field=service&from=${range}&limit=10`);
  await page.locator('.dpanel-facet .facet-bars li').first().waitFor();
  const bars = await page.locator('.dpanel-facet .facet-bars li').count();
  check(bars === facets.values.length, `the facet panel shows ${facets.values.length} services (${bars})`);
  const top = await page.locator('.dpanel-facet .facet-bars li').first().innerText();
  check(top.includes(facets.values[0].value), `its top service is ${facets.values[0].value}`);
  await page.locator('.dpanel-trend canvas').first().waitFor();
  await page.locator('.dpanel-retention table.heat tbody tr').first().waitFor();
  check(true, 'the trend and retention panels draw');
  await shot('dashboard-imported');
  // Export it as YAML: the download carries the panels.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'export YAML' }).click()]);
  const text = readFileSync(await dl.path(), 'utf8');
  check(text.includes('kind: retention') && text.includes('Imported ' + name), `export YAML downloads ${dl.suggestedFilename()}`);

  // An investigation template opens its search.
  await page.goto(`${base}/#/dashboards?from=${range}`);
  const slow = page.getByRole('form', { name: 'Find slow endpoints' });
  await slow.getByLabel('slower than (ms)').fill('500');
  await slow.getByRole('button', { name: 'Open' }).click();
  await page.waitForURL(/#\/explore\?.*duration_ms%3A%3E500/);
  const slowRes = await api(`/api/v1/search?q=${encodeURIComponent('kind:span duration_ms:>500')}&from=${range}&limit=100`);
  await settled(page);
  const slowRows = await page.locator('table.events tbody tr').count();
  check(slowRows === slowRes.events.length, `"find slow endpoints" searches kind:span duration_ms:>500 (${slowRes.events.length} results, ${slowRows} rows)`);

  // The retry template finds the throttled calls and the retries.
  await page.goto(`${base}/#/dashboards?from=${range}`);
  const retry = page.getByRole('form', { name: 'Show retry patterns for a dependency' });
  await retry.getByLabel('dependency (peer.service)').fill('payment-gateway');
  await retry.getByLabel('calling service (optional)').fill('payment-service');
  await retry.getByRole('button', { name: 'Open' }).click();
  await page.waitForURL(/#\/explore\?.*retry_attempt/);
  const rq = new URLSearchParams(page.url().split('?')[1]).get('q') || '';
  const retries = await api(`/api/v1/search?q=${encodeURIComponent(rq)}&from=${range}&limit=100`);
  // The demo's throttling window holds a handful of payments, as many as the
  // random traffic put there (none, now and then): the template must find at
  // least every 429 of the gateway that a plain search finds.
  const throttled = await api(`/api/v1/search?q=${encodeURIComponent('peer.service:payment-gateway http_status:429')}&from=${range}&limit=100`);
  check(
    retries.events.length >= throttled.events.length && (throttled.events.length === 0 || retries.events.length > 0),
    `the API finds ${retries.events.length} throttled calls and retries for "${rq}" (the gateway's 429s: ${throttled.events.length})`,
  );
  await settled(page);
  const retryRows = await page.locator('table.events tbody tr').count();
  check(retryRows === retries.events.length, `the retry template lists them (${retryRows} rows)`);
  await shot('template-retries');

  // Settings: project, keys (never secrets), snippets with this host.
  const proj = await api('/api/v1/project');
  await page.goto(`${base}/#/settings`);
  await page.locator('table.key-table tbody tr').first().waitFor();
  const keyRows = await page.locator('table.key-table tbody tr').count();
  check(keyRows === proj.keys.length, `settings lists the ${proj.keys.length} keys (${keyRows})`);
  const body = await page.locator('main').innerText();
  check(!body.includes(key), 'settings never shows the read key');
  const dsn = await page.locator('.snippet-box', { hasText: 'Sentry SDKs' }).locator('pre').innerText();
  check(dsn.includes(`LORE_INGEST_KEY@${new URL(base).host}/${proj.project.id}`), 'the Sentry DSN names this host and project');
  check((await page.locator('.snippet-box').count()) >= 8, 'settings offers a snippet for every SDK and shipper');
  // The data lifecycle: the project's retention, sampling and privacy
  // settings as the API has them; the disk watermark's card (lore demo
  // keeps 2% of the disk free, so the card is there, without a warning).
  const retention = await api('/api/v1/settings/retention');
  const logsDays = page.locator('.lc-settings').getByLabel('logs', { exact: true });
  await logsDays.waitFor();
  await page.waitForFunction(() => document.querySelector('.lc-settings button')?.textContent?.startsWith('Save'));
  check((await logsDays.inputValue()) === String(retention.logs_days), `the lifecycle settings show logs kept ${retention.logs_days} days`);
  check((await page.locator('.lc-settings').getByLabel('IP addresses').inputValue()) !== '', 'the privacy settings show the IP address rule');
  check((await page.locator('.disk-card').count()) === 1, 'settings shows the disk card');
  await page.locator('.lc-settings').scrollIntoViewIfNeeded();
  await shot('settings-lifecycle');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('settings');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot('settings-dark', { fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

});
process.exit(ok ? 0 : 1);
