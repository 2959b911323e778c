// Figures of the previous range, and the header at common widths, driven in
// Chromium against a running demo:
//  - with the API slowed down (page.route), changing the time range keeps
//    every page's figures of the old range on screen, dimmed (class stale,
//    aria-busy="true") with a loading bar, until the new ones are in;
//    screenshots of the Overview while stale and after, into SHOTS;
//  - at 1280, 1440 and 1920 px (and a narrow 900 px window) every page link
//    of the header is inside the window and not covered; one row at 1920;
//    screenshots of the header at each width.
import { api, check, env, post, run, settled } from './harness.mjs';

const ok = await run(async (page, shot, base) => {
  // ── The header: every link in sight at common widths.
  // The longest range label (an absolute range) and the admin's Access link make the widest header.
  const day = new Date(Date.now() - 86400e3).toISOString().slice(0, 10);
  const wide = `#/overview?from=${day}T10%3A00%3A00.000Z&to=${day}T12%3A30%3A00.000Z`;
  for (const width of [1280, 1440, 1920, 900]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(`${base}/${wide}`);
    await settled(page);
    const links = await page.locator('header.top nav a').evaluateAll((as) =>
      as.map((a) => {
        const b = a.getBoundingClientRect();
        const hit = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);
        return { text: a.textContent, left: b.left, right: b.right, top: b.top, bottom: b.bottom, hit: !!hit && (hit === a || a.contains(hit)) };
      }),
    );
    const out = links.filter((l) => l.left < 0 || l.right > width || l.top < 0 || l.bottom > 800 || !l.hit).map((l) => l.text);
    check(links.length >= 12 && out.length === 0, `at ${width} px the header's ${links.length} page links are all inside the window and not covered${out.length ? ': not ' + out.join(', ') : ''}`);
    const w = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.querySelector('header.top').scrollWidth));
    check(w <= width, `at ${width} px the page is ${w} px wide`);
    const rows = await page.evaluate(() => {
      const brand = document.querySelector('header.top .brand').getBoundingClientRect();
      const nav = document.querySelector('header.top nav a').getBoundingClientRect();
      return nav.top >= brand.bottom ? 2 : 1;
    });
    if (width === 1920) check(rows === 1, 'at 1920 px the header is one row');
    await shot(`header-${width}`, { clip: { x: 0, y: 0, width, height: 130 } });
  }
  await page.setViewportSize({ width: 1440, height: 900 });

  // ── Stale figures. The API is slowed down on demand; the range changes by the header's "zoom out".
  let slow = 0;
  await page.route('**/api/v1/**', async (route) => {
    if (slow) await new Promise((ok) => setTimeout(ok, slow));
    await route.continue();
  });
  // A dashboard of two panels, deleted at the end.
  const board = await post('/api/v1/dashboards', {
    name: 'figures e2e',
    panels: [
      { title: 'all events', kind: 'histogram', params: { by: 'level' } },
      { title: 'errors by service', kind: 'facet', query: 'level:error', params: { field: 'service' } },
    ],
  });
  const pages = [
    // Each of the Overview's numbers is a figure of its own.
    ['overview', '#/overview', ['[aria-label=numbers] .figures', '[aria-label=stories]']],
    ['explore', '#/explore', ['[aria-label=histogram]', '[aria-label=events]', '[aria-label=facets]']],
    ['issues', '#/issues', ['[aria-label=issues]']],
    ['issue', null, ['[aria-label="events over time"]']],
    ['product funnel', '#/product', ['[aria-label=funnel]']],
    ['product retention', '#/product/retention', ['[aria-label=retention]']],
    ['product paths', '#/product/paths', ['[aria-label=paths]']],
    ['product trends', '#/product/trends', ['[aria-label=trend]']],
    ['product web', '#/product/web', ['[aria-label="web analytics"]']],
    ['services', '#/services', ['[aria-label="service map"]']],
    ['incident', '#/incident', ['[aria-label="incidents in the time range"]']],
    ['patterns', '#/patterns', ['[aria-label=patterns]']],
    ['fields', '#/fields', ['[aria-label=fields]']],
    ['dashboard', `#/dashboards/${board.id}`, ['.dpanel .figures']],
  ];
  const issue = ((await api(`/api/v1/issues?from=${env.range}`)).issues || [])[0];
  try {
    for (const [name, hash, sels] of pages) {
      await page.goto(`${base}/${hash || `#/issues/${issue.id}`}?from=now-2d`);
      await settled(page);
      for (const sel of sels) await page.locator(sel).first().waitFor();
      // Again now that the panels are drawn: a page that loads first what its panels are (the
      // dashboard, the issue) is settled before they exist, and they then load their figures.
      await settled(page);
      const before = await page.locator(sels[0]).first().innerText();
      // Long enough for the checks below on a busy machine.
      slow = 4000;
      await page.getByRole('button', { name: 'zoom out' }).click();
      await page.waitForURL(/from=now-4d/);
      for (const sel of sels) {
        const f = page.locator(`${sel}.stale[aria-busy=true]`).first();
        await f.waitFor({ timeout: 2000 });
        check(await f.locator('.updating').isVisible(), `${name}: ${sel} is dimmed, with the loading bar on its top edge, while the new range loads`);
      }
      // The old figures stay, dimmed (after the 150 ms delay, to 40%).
      check((await page.locator(sels[0]).first().innerText()).includes(before.split('\n')[0]), `${name}: the previous figures stay on screen`);
      await page.waitForFunction((sel) => {
        const f = document.querySelector(sel + '.stale');
        const c = f && [...f.children].find((e) => !e.classList.contains('updating'));
        return c && Number(getComputedStyle(c).opacity) < 0.6;
      }, sels[0]);
      check(true, `${name}: dimmed`);
      await shot(`stale-${name.replace(' ', '-')}`, name === 'overview' ? { fullPage: true } : undefined);
      slow = 0;
      await settled(page);
      for (const sel of sels) {
        const f = page.locator(sel).first();
        check((await f.getAttribute('aria-busy')) === 'false' && !(await f.getAttribute('class')).includes('stale'), `${name}: ${sel} un-dims when the new range's figures are in`);
      }
      // Back to full opacity (after a 0.1 s transition), without the mark.
      await page.waitForFunction((sel) => [...document.querySelector(sel).children].every((c) => Number(getComputedStyle(c).opacity) === 1), sels[0]);
      check((await page.locator('.updating').count()) === 0, `${name}: full opacity again, no loading bar`);
      if (name === 'overview') {
        // The figures are the new range's: the events of the last 4 days, as the API counts them.
        const h = await api('/api/v1/histogram?from=now-4d&by=kind');
        const total = (h.buckets || []).reduce((n, b) => n + (b.estimate ?? b.count), 0);
        const shown = await page.locator('.num', { has: page.locator('span', { hasText: /^events/ }) }).locator('b').innerText();
        const fmt = (n) => (Math.abs(n) >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : Math.abs(n) >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(n));
        check(shown.replace('≈', '') === fmt(total), `the Overview's ${shown} events are the last 4 days' ${total}`);
        await shot('fresh-overview', { fullPage: true });
      }
    }
  } finally {
    slow = 0;
    await fetch(`${env.lore}/api/v1/dashboards/${board.id}`, { method: 'DELETE', headers: { Authorization: 'Bearer ' + env.key } });
  }
});
process.exit(ok ? 0 : 1);
