// The UI for daily use (issue 19), driven in Chromium against a running
// demo, with the browser in Los Angeles (TZ, default America/Los_Angeles):
// the time picker and the time-zone setting, journeys opened at their
// moment (from a funnel drop-off, an issue's user, Explore), the span
// waterfall, the issue stream and an issue's page, Explore's event panel
// and the Overview's deltas. Then a screenshot of every page at 1440×900,
// light and dark, into SHOTS.
import { api, check, env, post, run, settled } from './harness.mjs';

const { range } = env;
const tz = process.env.TZ_ID || 'America/Los_Angeles';

/** clock is "HH:MM:SS" of an ISO time in a zone, as the UI writes it. */
function clock(iso, zone) {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

const ok = await run(
  async (page, shot, base) => {
    const goto = async (hash) => {
      await page.goto(`${base}/${hash}`);
    };
    // The header never grows past the window.
    const fits = async (what) => {
      const w = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.querySelector('header.top').scrollWidth));
      check(w <= 1440, `${what}: the page is ${w} px wide in a 1440 px window`);
    };

    // ── Time zone: UTC by default, the browser's on request, in tables and charts alike.
    const first = (await api(`/api/v1/search?q=level:error&from=${range}&limit=1`)).events[0];
    await goto(`#/explore?q=level:error&from=${range}`);
    const cell = page.locator('table.events tbody tr').first().locator('td.ts');
    await cell.waitFor();
    check((await cell.innerText()).endsWith(clock(first.ts, 'UTC')), `Explore's first row reads ${clock(first.ts, 'UTC')}, in UTC by default (the browser is in ${tz})`);
    await page.locator('.hist .u-axis').first().waitFor();
    await page.locator('button.range-open').click();
    await page.getByRole('radio', { name: /Browser/ }).check();
    await page.keyboard.press('Escape');
    await cell.filter({ hasText: clock(first.ts, tz) }).waitFor();
    check(true, `with the browser's zone the row reads ${clock(first.ts, tz)} (${tz})`);
    check((await page.locator('.range-zone').innerText()) === 'local', 'the picker says the times are local');
    await page.locator('button.range-open').click();
    await page.getByRole('radio', { name: 'UTC' }).check();
    await page.keyboard.press('Escape');
    await cell.filter({ hasText: clock(first.ts, 'UTC') }).waitFor();
    check(true, 'back to UTC');

    // ── The time picker: quick ranges, absolute range, zoom out, shift.
    await goto(`#/explore?from=now-6h`);
    await page.locator('button.range-open').click();
    await page.getByRole('button', { name: 'Yesterday' }).click();
    await page.waitForURL(/from=yesterday/);
    // The URL changes before the label renders: wait (up to 5 s) for it.
    await page.locator('.range-label', { hasText: /^Yesterday$/ }).waitFor({ timeout: 5000 }).catch(() => {});
    check((await page.locator('.range-label').innerText()) === 'Yesterday', 'quick range "Yesterday" is in the URL and the label');
    await page.locator('button.range-open').click();
    await page.getByRole('button', { name: 'Today so far' }).click();
    await page.waitForURL(/from=today/);
    check(true, 'quick range "Today so far"');
    await page.getByRole('button', { name: 'zoom out' }).click();
    await page.waitForURL(/from=now-/);
    check(true, `zoom out from today: ${decodeURIComponent(page.url().split('?')[1])}`);
    await page.getByRole('button', { name: 'shift back' }).click();
    await page.waitForURL(/to=20\d\d-/);
    check(true, 'shift back makes the range absolute, ending in the past');
    await fits('after shifting');
    // An absolute range typed in, in the zone shown.
    await page.locator('button.range-open').click();
    const day = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
    await page.getByLabel('from', { exact: true }).fill(`${day} 10:00`);
    await page.getByLabel('to', { exact: true }).fill(`${day} 12:30:00`);
    await page.getByRole('button', { name: 'Apply time range' }).click();
    await page.waitForURL(new RegExp(`from=${day}T10%3A00%3A00.000Z&to=${day}T12%3A30%3A00.000Z|from=${day}T10:00:00.000Z`));
    check(true, `absolute range ${day} 10:00 → 12:30 UTC is in the URL`);
    await fits('with an absolute range in the picker');
    // The calendar picks days.
    await page.locator('button.range-open').click();
    await page.locator('.cal-day:not([disabled])').first().click();
    await page.getByRole('button', { name: 'Apply time range' }).click();
    await page.waitForURL(/from=20\d\d-\d\d-01T/);
    check(true, 'the calendar picks a day');
    // Every page link carries the range.
    const navHref = await page.locator('header nav a', { hasText: 'Issues' }).getAttribute('href');
    check(/from=20/.test(navHref), `the nav links carry the range: ${navHref}`);

    // ── A drill-down lands on the moment: the funnel's drop-off person.
    const funnel = await post('/api/v1/funnels', { steps: [{ event: 'Product Viewed' }, { event: 'Checkout Started' }, { event: 'Order Completed' }], window: '1h', from: range });
    const drop = funnel.steps.findIndex((s, i) => i < funnel.steps.length - 1 && (s.sample_persons || []).length);
    check(drop >= 0, `a funnel step has dropped persons (${funnel.steps[drop]?.name})`);
    await goto(`#/product?from=${range}`);
    await page.locator('.fstep').nth(drop).locator('.samples a').first().click();
    await page.waitForURL(/#\/journey\/person\/.*mq=/);
    const outcome = page.locator('.outcome');
    await outcome.waitFor();
    const said = await outcome.innerText();
    check(said.startsWith(`Stopped after ${funnel.steps[drop].name}`), `the headline speaks of the drop-off: ${said.slice(0, 140)}`);
    check(!/Outcome: succeeded/.test(said), 'a dropped person does not read "Outcome: succeeded"');
    const moment = page.locator('table.events tr.moment, table.events tr.selected').first();
    await moment.waitFor();
    check(await moment.isVisible(), 'the moment\'s row is highlighted');
    const inView = await moment.evaluate((el) => {
      const box = el.closest('.scroll').getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return r.top >= box.top && r.bottom <= box.bottom;
    });
    check(inView, 'and scrolled into view');
    check((await page.locator('.sessions li.current').count()) === 1, 'the person\'s sessions are listed, the moment\'s marked');
    await shot('journey-funnel-person');

    // ── An issue's affected user: the journey opens at their latest event of this issue.
    const issues = (await api(`/api/v1/issues?from=${range}`)).issues || [];
    const withUsers = [];
    for (const i of issues.slice(0, 5)) {
      const d = await api(`/api/v1/issues/${i.id}?from=${range}`);
      if ((d.affected_users || []).length) withUsers.push(d);
    }
    check(withUsers.length > 0, 'an issue has affected users');
    const iss = withUsers[0];
    await goto(`#/issues/${iss.id}?from=${range}`);
    await page.locator('.user-row a').first().click();
    await page.waitForURL(/#\/journey\/user\/.*mq=fingerprint/);
    await page.locator('table.events tr.moment').first().waitFor();
    const mrow = await page.locator('table.events tr.moment').first().innerText();
    check(/error/.test(mrow), `the user's journey opens at the error: ${mrow.replace(/\s+/g, ' ').slice(0, 100)}`);
    await shot('journey-issue-user');

    // ── The span waterfall of a trace.
    const stories = (await api(`/api/v1/stories?from=${range}`)).stories || [];
    const traced = stories.find((s) => (s.evidence?.journeys || []).length && s.type === 'throttling') || stories.find((s) => (s.evidence?.journeys || []).length);
    const tid = traced.evidence.journeys[0].match(/trace\/([^?]+)/)[1];
    const tj = await api(`/api/v1/journeys/trace/${tid}`);
    const spans = tj.events.filter((e) => e.kind === 'span');
    await goto(`#/journey/trace/${tid}?from=${range}`);
    await page.locator('.wf2-row').first().waitFor();
    check((await page.locator('.wf2-row[role=treeitem][aria-expanded], .wf2-row[role=treeitem]').count()) >= spans.length, `the waterfall has a row for each of the ${spans.length} spans`);
    const parents = page.locator('.wf2-row[aria-expanded=true]');
    const before = await page.locator('.wf2-row').count();
    if (await parents.count()) {
      await parents.first().locator('button.tw').click();
      const after = await page.locator('.wf2-row').count();
      check(after < before, `collapsing the root hides its children (${before} → ${after} rows)`);
      await page.locator('.wf2-row[aria-expanded=false]').first().locator('button.tw').click();
    }
    check((await page.locator('.wf2-bar.crit').count()) >= 1, 'the critical path is marked');
    const laneW = await page.locator('.wf2-lane').first().evaluate((el) => el.getBoundingClientRect().width);
    check(laneW > 500, `the bars have the width of the panel (${Math.round(laneW)} px lane)`);
    check((await page.locator('.wf2-axis span').count()) >= 3, 'the waterfall has a time axis');
    const withLogs = page.locator('.wf2-row', { has: page.locator('.wf2-dot') }).first();
    await withLogs.locator('.span-name').click();
    await page.locator('.span-detail').waitFor();
    check((await page.locator('.span-detail').innerText()).includes('Logs of this span'), 'a span opens its detail: attributes, its logs, its errors');
    check((await page.locator('.story .line').count()) > 0, 'the story is beside the waterfall');
    const outText = await page.locator('.outcome').innerText();
    const failed = spans.filter((e) => e.http_status >= 400 || e.level === 'error').length;
    if (failed) check(outText.includes(`${failed} failed span`), `the headline counts the ${failed} failed spans the waterfall shows: ${outText.slice(-80)}`);
    await shot('journey-trace-waterfall');

    // ── The issue stream: the header's range, search and filters.
    const day1 = (await api(`/api/v1/issues?from=now-1h`)).issues || [];
    await goto(`#/issues?from=now-1h`);
    await settled(page);
    check((await page.locator('.issue-title').count()) === day1.length, `the list covers the header's range: ${day1.length} issues in the last hour, as the API says`);
    await goto(`#/issues?from=${range}`);
    await page.locator('.issue-title').first().waitFor();
    const svc = (await api(`/api/v1/facets?field=service&q=${encodeURIComponent('(level:error OR level:fatal)')}&from=${range}&limit=5`)).values[0].value;
    await page.getByLabel('service', { exact: true }).selectOption(svc);
    await page.waitForURL(new RegExp(`service=${svc}`));
    const bySvc = (await api(`/api/v1/issues?from=${range}&status=unresolved&q=${encodeURIComponent('service:' + svc)}`)).issues || [];
    await settled(page);
    const listed = await page.locator('.issue-title').count();
    check(listed === bySvc.length, `filtering by service ${svc} lists its ${bySvc.length} issues (${listed})`);
    for (const f of ['release', 'environment', 'level', 'status']) check((await page.getByLabel(f, { exact: true }).count()) === 1, `a ${f} filter`);
    await page.getByLabel('search issues').fill('TypeError');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=TypeError/);
    check(true, 'the stream has a search');
    await shot('issues-filtered');

    // ── An issue's page.
    await goto(`#/issues/${iss.id}?from=${range}`);
    await page.locator('.issue-chart svg').waitFor();
    check((await page.locator('.issue-chart .tick').count()) >= 4, 'the issue chart has axes');
    if ((iss.releases || []).length) check((await page.locator('.issue-chart .release').count()) >= 1, 'release markers on the chart');
    check((await page.locator('.tagbar .tagbar-fill').count()) >= 2, 'tag distributions are bars');
    const nav = page.locator('.event-nav span');
    const firstEv = await nav.innerText();
    if (!(await page.getByRole('button', { name: 'older event' }).isDisabled())) {
      await page.getByRole('button', { name: 'older event' }).click();
      await page.waitForURL(/ev=1/);
      // The URL changes before React renders the older event: wait (up to 5 s) for the text to move.
      await page.waitForFunction(([sel, first]) => document.querySelector(sel)?.innerText !== first, ['.event-nav span', firstEv], { timeout: 5000 }).catch(() => {});
      const older = await nav.innerText();
      check(older !== firstEv, `older event: ${older.slice(0, 60)} (was ${firstEv.slice(0, 60)})`);
      await page.getByRole('button', { name: 'newer event' }).click();
    }
    await page.getByRole('button', { name: 'raw JSON' }).click();
    check((await page.locator('pre.json').innerText()).includes('"fingerprint"'), 'the raw JSON of the event');
    const all = await page.locator('a', { hasText: 'all events in Explore' }).getAttribute('href');
    check(all.includes('fingerprint'), `"all events in Explore": ${all}`);
    await shot('issue-page');

    // ── Explore's event panel: filter, exclude, copy, JSON; a link that names the event.
    await goto(`#/explore?q=level:error&from=${range}`);
    const row = page.locator('table.events tbody tr').nth(3);
    await row.click();
    await page.waitForURL(/event=\d+\.[0-9a-f]{8}/);
    const link = page.url();
    check(/from=20\d\d-/.test(link) && /to=20\d\d-/.test(link), 'opening an event makes the range absolute in the link');
    await page.locator('.panel').waitFor();
    check((await page.getByRole('link', { name: 'filter service', exact: true }).count()) === 1 && (await page.getByRole('link', { name: 'exclude service', exact: true }).count()) === 1, 'each field can be filtered and excluded');
    check((await page.getByRole('button', { name: 'copy service', exact: true }).count()) === 1, 'each field can be copied');
    await page.locator('.panel').getByRole('button', { name: 'JSON' }).click();
    const json = await page.locator('.panel pre.json').innerText();
    check(json.includes('"ts"'), 'the event as JSON');
    await shot('explore-event-json');
    // The same link later, in a fresh page, opens the same event.
    await page.goto('about:blank');
    await page.goto(link);
    await page.locator('.panel').waitFor();
    await page.locator('.panel').getByRole('button', { name: 'JSON' }).click();
    check((await page.locator('.panel pre.json').innerText()) === json, 'the link opens the same event again');
    await page.locator('.panel').getByRole('button', { name: 'fields' }).click();
    await page.getByRole('link', { name: 'exclude service', exact: true }).click();
    await page.waitForURL(/q=.*-service/);
    check(true, 'exclude adds -service:… to the search');

    // ── Overview: deltas and small charts.
    await goto(`#/overview?from=now-24h`);
    // events, errors and error rate have a chart; those and latency and users a change against the previous day.
    await page.locator('.num .spark').nth(2).waitFor();
    await page.locator('.num', { hasText: 'active users' }).locator('.delta').waitFor();
    const deltas = await page.locator('.num .delta').allInnerTexts();
    check(deltas.length >= 4 && deltas.every((d) => /^([+−]\d+(\.\d)?%|±0%?|new)$/.test(d)), `the numbers have small charts and their change: ${deltas.join(', ')}`);

    // ── The Overview's errors and open issues are what the Issues page lists for the same range (issue 14):
    // every error is an issue. A range that ended ten minutes ago, so live traffic does not move it.
    {
      const to = new Date(Date.now() - 10 * 60e3).toISOString();
      const from = new Date(Date.now() - 24 * 3600e3).toISOString();
      const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
      await goto(`#/overview?${q}`);
      const num = (label) => page.locator('.num').filter({ has: page.locator('span', { hasText: new RegExp(`^${label}$`) }) }).locator('b');
      const fmt = (n) => (Math.abs(n) >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : Math.abs(n) >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(n));
      const all = await api(`/api/v1/issues?status=all&limit=1&${q}`);
      const open = await api(`/api/v1/issues?status=unresolved&limit=1&${q}`);
      // The page shows the previous range's numbers (now-24h), dimmed and aria-busy, while it loads this one.
      await settled(page);
      const errs = await num('errors').innerText();
      const opens = await num('open issues').innerText();
      check(errs === fmt(all.events), `the Overview's ${errs} errors are the Issues page's ${all.events} events in ${all.total} issues`);
      check(opens === fmt(open.total), `the Overview's ${opens} open issues are the Issues page's ${open.total} unresolved`);
    }

    // ── Every page at 1440×900, light and dark.
    await page.setViewportSize({ width: 1440, height: 900 });
    const pages = [
      ['overview', `#/overview?from=${range}`, '.num .spark'],
      ['explore', `#/explore?from=${range}`, '.hist .u-over'],
      ['issues', `#/issues?from=${range}`, '.issue-title'],
      ['issue', `#/issues/${iss.id}?from=${range}`, '.issue-chart svg'],
      ['product-funnel', `#/product?from=${range}`],
      ['product-retention', `#/product/retention?from=${range}`],
      ['product-paths', `#/product/paths?from=${range}`],
      ['product-trends', `#/product/trends?from=${range}`],
      ['product-web', `#/product/web?from=${range}`],
      ['incident', `#/incident?from=${range}`],
      ['patterns', `#/patterns?from=${range}`],
      ['services', `#/services?from=${range}`],
      ['monitors', `#/monitors?from=${range}`],
      ['dashboards', `#/dashboards?from=${range}`],
      ['fields', `#/fields?from=${range}`],
      ['settings', `#/settings`],
      ['journey-trace', `#/journey/trace/${tid}?from=${range}`, '.wf2-row'],
      ['journey-person', `#/journey/user/${iss.affected_users[0].value}?from=${range}&mq=${encodeURIComponent('fingerprint:' + iss.fingerprint)}`, 'tr.moment'],
    ];
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, hash, ready] of pages) {
        await goto(hash);
        if (ready) await page.locator(ready).first().waitFor();
        await settled(page);
        await page.waitForTimeout(400);
        await fits(`${name} (${scheme})`);
        await shot(`page-${name}-${scheme}`);
      }
    }
  },
  { timezoneId: tz },
);
process.exit(ok ? 0 : 1);
