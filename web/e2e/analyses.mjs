// The browser test of the Product analyses (retention heat map, paths flow,
// trends, web analytics, funnel drop-off → Explore), the Incident page,
// Explore's autocomplete and live tail, bulk status changes on Issues,
// keyboard navigation, the theme toggle, empty states and API errors:
// each page is opened on a running `lore demo`, asserted on what the API
// answers, and screenshot. Run after drive.mjs by scripts/web-test.sh.
import { api, check, env, post, run, settled } from './harness.mjs';

const { range } = env;
const fmtNum = (n) => (Math.abs(n) >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : Math.abs(n) >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : Number.isInteger(n) ? String(n) : n.toFixed(2));
const fmtPct = (f) => (f * 100).toFixed(f < 0.01 ? 2 : 1) + '%';

const ok = await run(async (page, shot, base, allow) => {
  // Retention as a heat map.
  const ret = await post('/api/v1/retention', { start_event: 'Product Viewed', period: 'day', periods: 8, from: range, to: 'now' });
  check(ret.cohorts.length > 0, `the API has ${ret.cohorts.length} retention cohorts`);
  await page.goto(`${base}/#/product/retention?from=${range}`);
  await page.locator('table.heat tbody tr').first().waitFor();
  const cohorts = await page.locator('table.heat tbody tr').count();
  check(cohorts === ret.cohorts.length, `retention shows ${ret.cohorts.length} cohorts (${cohorts})`);
  const c0 = ret.cohorts[0];
  const row0 = page.locator('table.heat tbody tr').first();
  check((await row0.locator('td.size').innerText()) === fmtNum(c0.size), `the first cohort has ${c0.size} persons`);
  const day1 = await row0.locator('td.cell').nth(1).innerText();
  check(day1 === fmtPct(c0.rates[1]), `its day-1 retention reads ${fmtPct(c0.rates[1])} (${day1})`);
  const bg = await row0.locator('td.cell').first().evaluate((e) => getComputedStyle(e).backgroundColor);
  check(bg !== 'rgba(0, 0, 0, 0)', `day 0 is shaded (${bg})`);
  await shot('product-retention');

  // Paths as a flow diagram: what people did before an error.
  const paths = (await post('/api/v1/paths', { end_event: '$error', depth: 5, limit: 40, from: range, to: 'now' })).paths || [];
  check(paths.length > 0, `the API has ${paths.length} paths that end in an error`);
  await page.goto(`${base}/#/product/paths?from=${range}`);
  await page.locator('svg.flow .fnode').first().waitFor();
  const lastStep = paths[0].steps[paths[0].steps.length - 1];
  await page.locator('svg.flow text', { hasText: lastStep.slice(0, 21) }).first().waitFor();
  const bands = await page.locator('svg.flow path.band').count();
  check(bands > 0, `the flow ends in "${lastStep}" and draws ${bands} links`);
  const firstRow = await page.locator('.path-list tbody tr').first().innerText();
  check(firstRow.includes(String(paths[0].persons)) && firstRow.includes(lastStep), `the most followed path: ${firstRow.replace(/\s+/g, ' ')}`);
  await shot('product-paths');

  // Trends with uPlot.
  const tr = await post('/api/v1/trends', { event: 'Order Completed', measure: 'count', compare: false, from: range, to: 'now' });
  await page.goto(`${base}/#/product/trends?from=${range}`);
  await page.locator('.linechart canvas').first().waitFor();
  const total = await page.locator('.totals .num b').first().innerText();
  check(total === fmtNum(tr.series[0].total), `trends shows ${tr.series[0].total} orders (${total}) and draws the chart`);
  await page.goto(`${base}/#/product/trends?from=${range}&by=service&compare=1`);
  await page.locator('.linechart .u-legend').getByText('(previous period)').first().waitFor();
  check(true, 'trends compares with the previous period');
  await shot('product-trends');

  // Web analytics.
  const web = await api(`/api/v1/web?from=${range}&limit=10`);
  await page.goto(`${base}/#/product/web?from=${range}`);
  await page.locator('.numbers .num b', { hasText: fmtNum(web.pageviews) }).first().waitFor();
  const top = page.locator('section.toplist[aria-label="Top pages"] li').first();
  check((await top.innerText()).includes(web.top_pages[0].value), `web analytics: ${web.pageviews} page views, top page ${web.top_pages[0].value}`);
  await page.locator('section.toplist[aria-label="Browsers"] li', { hasText: web.browsers[0].value }).first().waitFor();
  check(true, `web analytics lists browsers (${web.browsers.map((b) => b.value).join(', ')})`);
  await shot('product-web');

  // Funnel drop-off → the errors those persons hit, in Explore.
  await page.goto(`${base}/#/product?from=${range}`);
  const dropErr = page.locator('.dropoff li.error a').first();
  await page.locator('.fstep').first().waitFor();
  if ((await dropErr.count()) > 0) {
    const label = await dropErr.innerText();
    await dropErr.click();
    await page.waitForURL(/#\/explore\?.*error_type/);
    await page.locator('table.events tbody tr').first().waitFor();
    check(true, `funnel drop-off error ${label} → its events in Explore`);
  }

  // Incident: the moment of a story card's incident, picked on the page.
  await page.goto(`${base}/#/incident?from=${range}`);
  await page.locator('.picks a').first().waitFor();
  const picks = await page.locator('.picks a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent]));
  let found = false;
  for (const [k, [h, title]] of picks.entries()) {
    const p = new URLSearchParams(h.split('?')[1]);
    const tl = await api(`/api/v1/incidents/timeline?at=${encodeURIComponent(p.get('at'))}&before=${p.get('before')}`);
    if (!tl.events?.length) continue;
    found = true;
    await page.locator('.picks a').nth(k).click();
    await page.waitForURL(/#\/incident\?.*at=/);
    await settled(page);
    check((await page.locator('.narrative p', { hasText: tl.narrative[0] }).count()) > 0, `incident "${title}": the narrative begins "${tl.narrative[0]}"`);
    const rows = await page.locator('.tl-row').count();
    check(rows === tl.events.length, `incident "${title}": ${tl.events.length} departures in order (${rows} rows), first "${tl.events[0].text}"`);
    const firstText = await page.locator('.tl-row').first().innerText();
    check(firstText.includes(tl.events[0].service), `the first row is ${tl.events[0].service}`);
    const shown = new Date(p.get('at')).toISOString().replace('T', ' ').slice(0, 19);
    check((await page.inputValue('input[aria-label="moment"]')) === shown, `the moment shows in the picker, in 24-hour UTC: ${shown}`);
    await shot('incident');
    await page.locator('.tl-row a.signal').first().click();
    await page.waitForURL(/#\/explore\?.*service/);
    await page.locator('table.events tbody tr').first().waitFor();
    check(true, 'an incident signal opens its evidence in Explore');
    break;
  }
  check(found, 'a story card\'s incident has a timeline');
  await page.goto(`${base}/#/overview?from=${range}`);
  await page.locator('.card a.incident-link').first().click();
  await page.waitForURL(/#\/incident\?.*at=.*before=/);
  await page.locator('.narrative p').first().waitFor();
  check(true, 'story card → its incident timeline');

  // Explore: autocomplete of fields, then of values.
  await page.goto(`${base}/#/explore?from=${range}`);
  await page.locator('table.events tbody tr').first().waitFor();
  await page.keyboard.press('/');
  check(await page.locator('input[aria-label="search"]').evaluate((e) => e === document.activeElement), '"/" focuses the search');
  await page.keyboard.type('serv');
  await page.locator('.suggest li', { hasText: /^service/ }).first().waitFor();
  await page.keyboard.press('Tab');
  check((await page.inputValue('input[aria-label="search"]')) === 'service:', 'Tab completes the field name "service:"');
  const svcs = await api(`/api/v1/facets?field=service&from=${range}&limit=50`);
  await page.locator('.suggest li', { hasText: svcs.values[0].value }).first().waitFor();
  await shot('explore-autocomplete');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  const completed = await page.inputValue('input[aria-label="search"]');
  check(completed === `service:${svcs.values[0].value} `, `Enter takes the top value: "${completed}"`);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp('q=service%3A' + svcs.values[0].value));
  check(true, 'the completed search runs');

  // Explore: live tail shows a new event at the top.
  const nonce = 'tail' + Date.now().toString(36);
  await page.goto(`${base}/#/explore?q=${encodeURIComponent(`"${nonce}"`)}&from=now-1h`);
  await page.getByText('send a first event').waitFor();
  check(true, 'an empty result says how to send the first event');
  await page.locator('input[aria-label="live tail"]').check();
  await page.waitForURL(/live=1/);
  await page.locator('.live.on').waitFor();
  const r = await fetch(env.lore + '/api/v1/ingest', {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + env.ingestKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ level: 'warn', service: 'e2e', message: `${nonce} arrived live` }),
  });
  check(r.ok, `ingested a live event (${r.status})`);
  await page.locator('table.events tbody tr', { hasText: `${nonce} arrived live` }).first().waitFor({ timeout: 30000 });
  check(true, 'live tail shows the new event');
  await shot('explore-live');
  // With live tail on, the histogram is redrawn every 10 s (histograms slowed down here): the refresh
  // of the same range shows the loading bar and is aria-busy, but is not dimmed as stale.
  await page.goto(`${base}/#/explore?from=now-2d&live=1`);
  await page.locator('[aria-label=histogram] .hist .u-over').waitFor();
  await page.route('**/api/v1/histogram**', async (route) => {
    await new Promise((ok) => setTimeout(ok, 3000));
    await route.continue();
  });
  try {
    const refreshing = page.locator('[aria-label=histogram].refreshing[aria-busy=true]');
    await refreshing.waitFor({ timeout: 20000 });
    check(await refreshing.locator('.updating').isVisible(), 'live tail: the histogram’s refresh shows the loading bar');
    // Past the bar's 150 ms delay.
    await page.waitForTimeout(400);
    const dimmed = await refreshing.evaluate((f) => f.classList.contains('stale') || [...f.children].some((c) => !c.classList.contains('updating') && Number(getComputedStyle(c).opacity) < 1));
    check(!dimmed, 'live tail: the refreshed histogram is not dimmed');
    await shot('explore-live-refresh');
    await page.locator('[aria-label=histogram][aria-busy=false]:not(.refreshing)').waitFor({ timeout: 10000 });
    check((await page.locator('[aria-label=histogram] .updating').count()) === 0, 'live tail: the bar goes when the refreshed histogram is in');
  } finally {
    await page.unroute('**/api/v1/histogram**');
  }

  // An API refusal reads as a sentence.
  allow(/status of 400/);
  await page.goto(`${base}/#/explore?q=${encodeURIComponent('level:(')}&from=${range}`);
  const err = await page.locator('[role=alert]').first().innerText();
  check(err.startsWith('Lore could not understand the request'), `a bad query explains itself: ${err}`);

  // Issues: bulk ignore (up to) two, then unresolve them again.
  const issues = (await api('/api/v1/issues?status=unresolved&from=now-14d')).issues || [];
  check(issues.length >= 1, `the API has ${issues.length} unresolved issues`);
  const n = Math.min(2, issues.length);
  const plural = `${n} issue${n === 1 ? '' : 's'}`;
  await page.goto(`${base}/#/issues`);
  await page.locator('.issue-title').first().waitFor();
  const ids = [];
  for (const i of issues.slice(0, n)) {
    await page.locator('tr', { has: page.locator('.issue-title', { hasText: i.title }) }).first().locator('input[type=checkbox]').check();
    ids.push(i.id);
  }
  await page.waitForURL(/sel=/);
  await page.locator('.bulk b', { hasText: `${n} selected` }).waitFor();
  await shot('issues-bulk');
  await page.locator('.bulk button', { hasText: 'Ignore' }).click();
  await page.locator('.bulk', { hasText: `Ignored ${plural}.` }).waitFor();
  for (const id of ids) check((await api(`/api/v1/issues/${id}`)).status === 'ignored', `issue ${id} is ignored`);
  await page.goto(`${base}/#/issues?status=ignored`);
  await page.locator('input[aria-label="select all"]').waitFor();
  // The ignored list has replaced the one before it (whose rows would be
  // re-rendered under the click).
  await settled(page);
  for (const id of ids) await page.locator(`tr:has(a[href^="#/issues/${id}"]) td`, { hasText: /^ignored$/ }).waitFor();
  for (const id of ids) await page.locator(`tr:has(a[href^="#/issues/${id}"]) input[type=checkbox]`).check();
  await page.locator('.bulk button', { hasText: 'Unresolve' }).click();
  await page.locator('.bulk', { hasText: `Unresolved ${plural}.` }).waitFor();
  for (const id of ids) check((await api(`/api/v1/issues/${id}`)).status === 'unresolved', `issue ${id} is unresolved again`);
  await page.goto(`${base}/#/issues`);
  for (const i of issues.slice(0, n)) await page.locator('.issue-title', { hasText: i.title }).first().waitFor();
  check(true, 'the sparklines are drawn: ' + (await page.locator('.issue-list .spark').count()));

  // Keyboard: j moves to a row, Enter opens it, g then a letter changes page.
  await page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));
  for (let k = 0; k < n; k++) await page.keyboard.press('j');
  const focused = await page.evaluate(() => document.activeElement?.querySelector('.issue-title')?.textContent);
  check(focused === issues[n - 1].title, `j×${n} focuses issue ${n} (${focused})`);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`#/issues/${issues[n - 1].id}`));
  check(true, 'Enter opens it');
  await page.keyboard.press('g');
  await page.keyboard.press('n');
  await page.waitForURL(/#\/incident/);
  check(true, 'g n goes to the incident page');
  await page.keyboard.press('?');
  await page.locator('[role=dialog][aria-label="keyboard shortcuts"]').waitFor();
  await shot('keyboard-help');
  await page.keyboard.press('Escape');
  await page.locator('[role=dialog]').waitFor({ state: 'detached' });
  check(true, '"?" shows the keyboard shortcuts, Escape closes them');

  // The theme toggle overrides the system's preference.
  await page.goto(`${base}/#/product/retention?from=${range}`);
  await page.locator('table.heat tbody tr').first().waitFor();
  await page.locator('button.theme').click();
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  const bgDark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(theme === 'dark' && bgDark === 'rgb(20, 23, 31)', `the toggle switches to dark mode (${bgDark})`);
  await shot('product-retention-dark');
  await page.reload();
  await page.locator('table.heat tbody tr').first().waitFor();
  check((await page.evaluate(() => document.documentElement.dataset.theme)) === 'dark', 'dark mode is remembered');
  await page.locator('button.theme').click();
  check((await page.evaluate(() => getComputedStyle(document.body).backgroundColor)) === 'rgb(247, 248, 251)', 'and switches back to light');
});
process.exit(ok ? 0 : 1);
