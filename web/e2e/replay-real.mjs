// A real page recorded by Lore's browser SDK in headless Chromium, then
// played in Lore's UI (issue 16): not the simulated shop's synthesized
// recordings, but a page served here that loads /sdk.js from the running
// Lore with recording on. The person types into a gift note (shown) and a
// card field (masked), adds the teapot to the basket (the page changes),
// places the order (a request to this page's backend, which logs it to
// Lore under the request's trace), and leaves. Then the Journey page of
// that session plays it: the player draws the recorded page with its own
// words, the masked card number and the masked account holder's name are
// nowhere (neither in what reached Lore nor in the player), the timeline
// holds the page's clicks and the backend's request with its trace, and
// seeking from the "Place order" line shows the page as it was then (the
// basket line the click before it added). Screenshots into SHOTS.
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { api, check, env, run } from './harness.mjs';

const card = '4111 1111 1111 1111';
const holder = 'Grace Hopper';

// The page's own backend: the page, and POST /api/order, which logs the
// order to Lore under the request's traceparent (as an instrumented
// backend would).
const page = (lore) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Kettle &amp; Co</title>
<style>body{font:16px system-ui,sans-serif;margin:0;background:#fbf8f3;color:#222}
header{background:#2d4a3e;color:#fff;padding:14px 32px}main{padding:24px 32px}
.product{display:flex;gap:32px}.pic{width:320px;height:240px;background:#9cc3d5;border-radius:12px}
button{background:#c8553d;color:#fff;border:0;border-radius:6px;font-size:16px;padding:10px 18px;margin:8px 8px 0 0;cursor:pointer}
input{font-size:16px;padding:6px;border:1px solid #bbb;border-radius:4px;margin:6px 0}label{display:block;margin-top:10px}
#basket{color:#2d4a3e;font-weight:600}#done{color:#2d4a3e;font-size:20px}</style>
<script src="${lore}/sdk.js"></script>
<script>lore.init(${JSON.stringify(env.ingestKey)}, {host: ${JSON.stringify(lore)}, flushInterval: 500, replay: {sampleRate: 1, flushInterval: 500}});</script>
</head><body>
<header data-lore-unmask><strong>Kettle &amp; Co</strong> · tea things since 1921</header>
<main data-lore-unmask>
  <div class="product"><div class="pic"></div><div>
    <h1>Blue Teapot</h1>
    <p>Hand-thrown stoneware, 1.2 litres. €42.00</p>
    <label>Gift note <input id="note"></label>
    <label data-lore-mask>Card number <input id="card" autocomplete="off"></label>
    <button id="add" onclick="document.getElementById('basket').textContent = 'In your basket: Blue Teapot (1)'">Add to basket</button>
    <button id="order" onclick="fetch('/api/order', {method: 'POST'}).then((r) => r.text()).then((t) => { document.getElementById('done').textContent = t })">Place order</button>
    <p id="basket"></p><p id="done"></p>
  </div></div>
</main>
<footer><p id="holder">Signed in as ${holder}</p></footer>
</body></html>`;

const site = createServer(async (req, res) => {
  if (req.method === 'POST' && req.url === '/api/order') {
    const [, trace, span] = (req.headers.traceparent || '').split('-');
    const line = JSON.stringify({ ts: new Date().toISOString(), level: 'info', service: 'kettle-api', msg: 'order KC-1921 placed', trace_id: trace, parent_span_id: span, endpoint: '/api/order' });
    const r = await fetch(env.lore + '/api/v1/ingest', { method: 'POST', headers: { Authorization: 'Bearer ' + env.ingestKey, 'Content-Type': 'application/x-ndjson' }, body: line + '\n' });
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(r.ok && trace ? 'Order KC-1921 placed. Thank you!' : 'order failed');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(page(env.lore));
});
await new Promise((ok) => site.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${site.address().port}/teapot`;

// 1. Record the visit.
const uploads = [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let sid, traced;
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await ctx.newPage();
  p.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/v1/replay' && r.method() === 'POST') uploads.push(r.postDataBuffer());
  });
  await p.goto(url, { waitUntil: 'load' });
  await p.waitForFunction(() => window.lore && window.lore.default.replay && window.lore.default.replay.stats(), null, { timeout: 20000 });
  await p.waitForTimeout(600);
  await p.fill('#note', 'Happy birthday, Mum');
  await p.fill('#card', card);
  await p.waitForTimeout(500);
  await p.click('#add');
  await p.waitForTimeout(1500);
  await p.click('#order');
  await p.waitForFunction(() => document.getElementById('done').textContent.includes('Thank you'));
  traced = true;
  await p.waitForTimeout(1500);
  sid = await p.evaluate(() => JSON.parse(localStorage.getItem('lore:session')).id);
  await p.evaluate(() => window.lore.default.replay.flush());
  await p.evaluate(() => window.lore.default.flush());
  await p.waitForTimeout(700);
  await p.close({ runBeforeUnload: true });
  await new Promise((ok) => setTimeout(ok, 500));
  await ctx.close();
} finally {
  await browser.close();
  site.close();
}
check(traced && !!sid, `Chromium recorded a visit of ${url} (session ${sid?.slice(0, 8)})`);
check(uploads.length >= 2, `the page uploaded its recording (${uploads.length} uploads)`);

// 2. What reached Lore: the recording plays back without what was masked.
let rec;
for (let i = 0; i < 60 && !rec; i++) {
  rec = (await api(`/api/v1/replays?session=${sid}`)).replays[0];
  if (!rec) await new Promise((ok) => setTimeout(ok, 1000));
}
check(!!rec, 'Lore lists the recording of the session');
const r = await fetch(`${env.lore}/api/v1/replays/${sid}/events`, { headers: { Authorization: 'Bearer ' + env.key } });
const stored = await r.text();
check(r.ok && stored.includes('Blue Teapot') && stored.includes('Happy birthday'), 'the stored recording holds the page and the shown gift note');
check(!stored.includes(card) && !stored.includes(card.replaceAll(' ', '')) && !stored.includes(holder), 'the card number and the account holder never reached Lore');
// The journey: the page's clicks and the backend's log joined by the trace.
let story;
for (let i = 0; i < 60; i++) {
  story = await api(`/api/v1/journeys/session/${sid}?from=now-1h`);
  if (story.events.some((e) => e.service === 'kettle-api')) break;
  await new Promise((ok) => setTimeout(ok, 1000));
}
check(story.events.some((e) => e.service === 'kettle-api'), `the session's journey holds the backend's log under the order's trace (${story.events.length} events)`);

// 3. Play it in Lore's UI.
const ok = await run(async (page, shot, base) => {
  const frame = page.frameLocator('.replay-stage iframe');
  await page.goto(`${base}/#/journey/session/${sid}?from=now-1h`);
  await page.locator('.replay-stage[data-ready]').waitFor();
  await frame.locator('h1').first().waitFor();
  const first = await frame.locator('body').innerText();
  check(first.includes('Blue Teapot') && first.includes('Kettle & Co') && first.includes('€42.00'), `the player draws the recorded page: ${first.replace(/\s+/g, ' ').slice(0, 90)}`);
  check(!first.includes(holder), 'the account holder is masked in the player');

  const lines = page.locator('.replay-timeline li.rl');
  const texts = (await lines.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
  check(texts.length >= 3, `the timeline holds the visit (${texts.length} lines: ${texts.slice(0, 6).join(' | ')})`);
  const orderLine = lines.filter({ hasText: 'Place order' }).first();
  check(await orderLine.isVisible(), 'the timeline holds the click on "Place order"');
  check((await page.locator('.replay-timeline li.rl a.rl-trace').count()) > 0, "a line links the order request's trace");
  check(texts.some((t) => t.includes('kettle-api')), "the timeline holds the backend's side (kettle-api)");
  await shot('replay-real-open');

  // Seek from the "Place order" line: the page as it was then, with the basket line the earlier click added.
  await orderLine.locator('button.rl-seek').click();
  await frame.locator('#basket', { hasText: 'In your basket' }).waitFor();
  check(true, 'seeking from the "Place order" line shows the page as it was then (the basket line)');
  const note = await frame.locator('#note').inputValue();
  const masked = await frame.locator('#card').inputValue();
  check(note === 'Happy birthday, Mum' && !masked.includes('4111'), `the player shows the gift note as typed and the card masked (${JSON.stringify(masked)})`);
  check(await orderLine.evaluate((el) => el.classList.contains('playing')), 'the line at the position is highlighted');
  // Play on: the order's confirmation appears.
  await page.getByRole('button', { name: 'play' }).click();
  await frame.locator('#done', { hasText: 'Thank you' }).waitFor({ timeout: 15000 });
  check(true, "playing on shows the order's confirmation");
  if (await page.getByRole('button', { name: 'pause' }).isVisible()) await page.getByRole('button', { name: 'pause' }).click();
  await shot('replay-real-played');
});
process.exit(ok ? 0 : 1);
