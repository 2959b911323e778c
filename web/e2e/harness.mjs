// Shared pieces of the browser tests: a static server for the built UI
// (LORE_WEB_OUT) with /api proxied to a running Lore (LORE_URL), the API
// client the checks compare against, and a Chromium page that records
// console errors and saves screenshots into SHOTS.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

export const env = {
  dist: process.env.LORE_WEB_OUT,
  lore: process.env.LORE_URL,
  // The key the checks' own API calls use (an admin key: some checks make
  // and delete monitors, channels and checks to compare with the UI).
  key: process.env.LORE_API_KEY || process.env.LORE_READ_KEY || 'lore_demo_read',
  // The browser signs in as this user (lore demo's).
  email: process.env.LORE_EMAIL || 'demo@lore.local',
  password: process.env.LORE_PASSWORD || 'lore-demo-password',
  ingestKey: process.env.LORE_INGEST_KEY || 'lore_demo_ingest',
  shots: process.env.SHOTS,
  range: process.env.RANGE || 'now-4d', // the demo's history (--days 2) starts at the midnight before: up to 3 days back
};
if (!env.dist || !env.lore || !env.shots) throw new Error('LORE_WEB_OUT, LORE_URL and SHOTS are required');

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** serve starts the UI server on a free port and returns its base URL and server. */
export async function serve() {
  const server = createServer((req, res) => {
    if (req.url.startsWith('/api/')) {
      const up = request(env.lore + req.url, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      up.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      req.pipe(up);
      return;
    }
    let p = normalize(decodeURIComponent(req.url.split('?')[0])).replace(/^(\.\.[/\\])+/, '');
    if (p === '/') p = '/index.html';
    const f = join(env.dist, p);
    if (!f.startsWith(env.dist) || !existsSync(f) || statSync(f).isDirectory()) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': types[extname(f)] || 'application/octet-stream' });
    createReadStream(f).pipe(res);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { base: `http://127.0.0.1:${server.address().port}`, server };
}

export async function api(path, init) {
  const r = await fetch(env.lore + path, {
    ...init,
    headers: { Authorization: 'Bearer ' + env.key, ...(init?.body ? { 'Content-Type': 'application/json' } : {}) },
  });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

export const post = (path, body) => api(path, { method: 'POST', body: JSON.stringify(body) });

/** signIn signs the page in through the login page as env.email. */
export async function signIn(page, base) {
  await page.goto(base + '/#/login');
  await page.getByLabel('Email').fill(env.email);
  await page.getByLabel('Password').fill(env.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/#\/overview/);
  await page.locator('header .account').waitFor();
}

/**
 * settled waits until the page shows the URL (main's data-route is its hash:
 * the route is rendered) and no figures are loading: no element is
 * aria-busy (web/src/components/Figures.tsx). Figures of a previous range or
 * query are aria-busy until the new ones are in, so what is on screen then
 * is the URL's.
 */
export async function settled(page, timeout = 20000) {
  await page.waitForFunction(() => document.querySelector('main')?.dataset.route === (location.hash || '#') && !document.querySelector('[aria-busy="true"]'), null, { timeout });
}

export function check(ok, what) {
  if (!ok) throw new Error('FAIL: ' + what);
  console.log('ok  ' + what);
}

/**
 * run opens Chromium, gives body(page, shot, base, allow) a page signed in
 * as env.email (unless storeKey is false: the body then starts on a
 * browser that is not), and fails on its errors or console errors (but
 * those matching a pattern passed to allow). timezoneId puts the browser in
 * another time zone (e.g. America/Los_Angeles).
 */
export async function run(body, { storeKey = true, timezoneId, viewport = { width: 1440, height: 1000 } } = {}) {
  const { base, server } = await serve();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const consoleErrors = [];
  const saved = [];
  // A check that provokes an API error on purpose allows its console line.
  const allowed = [];
  let failed = false;
  try {
    const page = await browser.newPage({ viewport, timezoneId });
    page.setDefaultTimeout(20000);
    page.on('console', (m) => m.type() === 'error' && !allowed.some((re) => re.test(m.text())) && consoleErrors.push(`${page.url()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
    const shot = async (name, opts) => {
      const p = join(env.shots, name + '.png');
      await page.screenshot({ path: p, fullPage: false, ...opts });
      saved.push(p);
    };
    if (storeKey) await signIn(page, base);
    await body(page, shot, base, (re) => allowed.push(re));
    check(consoleErrors.length === 0, 'the console shows no errors' + (consoleErrors.length ? ':\n  ' + consoleErrors.join('\n  ') : ''));
  } catch (e) {
    failed = true;
    console.error(e.message || e);
    if (consoleErrors.length) console.error('console errors:\n  ' + consoleErrors.join('\n  '));
  } finally {
    await browser.close();
    server.close();
    console.log('screenshots:');
    for (const p of saved) console.log('  ' + p);
  }
  return !failed;
}
