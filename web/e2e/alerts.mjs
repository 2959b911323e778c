// The browser test of alerting on a running `lore demo` (started with
// --allow-private-webhooks): it adds a webhook channel and a Slack channel
// in Settings (the test message reaches a receiver on loopback; the Slack
// token is never shown), adds an uptime check of a service on loopback on
// the Status page, creates a check monitor from the check's "alert on
// it" link that notifies the channel, takes the service down and brings
// it back (the receiver gets the alert and the resolution; the Status
// page, the monitor's series, history and deliveries say so), and
// creates a monitor grouped by service through the form. Screenshots of
// each page. Run by scripts/web-test.sh.
import { createServer } from 'node:http';
import { api, check, env, run } from './harness.mjs';

const { range } = env;

/** listen starts an HTTP server on a free loopback port. */
async function listen(handler) {
  const s = createServer(handler);
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${s.address().port}`, close: () => s.close() };
}

let down = false;
const target = await listen((req, res) => {
  res.writeHead(down ? 503 : 200, { 'Content-Type': 'text/plain' });
  res.end(down ? 'maintenance' : 'shop ok');
});
const received = [];
const receiver = await listen((req, res) => {
  let b = '';
  req.on('data', (c) => (b += c));
  req.on('end', () => {
    try {
      received.push(JSON.parse(b));
    } catch {
      received.push({ unparsed: b });
    }
    res.writeHead(204);
    res.end();
  });
});

async function until(what, cond, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error('FAIL: ' + what + ' (timed out)');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const created = { monitors: [], checks: [], channels: [] };
const ok = await run(async (page, shot, base) => {
  // Settings: channels.
  await page.goto(`${base}/#/settings`);
  const form = page.getByRole('form', { name: 'new channel' });
  await form.getByLabel('channel name').fill('e2e hook');
  await form.getByLabel('channel type').selectOption('webhook');
  await form.getByLabel('channel url').fill(receiver.url + '/hook');
  await form.getByText('Add channel').click();
  await page.locator('table.chan-list td.chan-name', { hasText: 'e2e hook' }).waitFor();
  await form.getByLabel('channel name').fill('e2e slack');
  await form.getByLabel('channel type').selectOption('slack');
  await form.getByLabel('channel url').fill('https://hooks.slack.com/services/T0/B0/E2ESECRET');
  await form.getByText('Add channel').click();
  const slackRow = page.locator('table.chan-list tr', { has: page.locator('td.chan-name', { hasText: 'e2e slack' }) });
  await slackRow.waitFor();
  check(!(await page.locator('table.chan-list').textContent()).includes('E2ESECRET'), 'the Slack token is never shown');
  const chans = (await api('/api/v1/channels')).channels;
  const hook = chans.find((c) => c.name === 'e2e hook');
  created.channels.push(hook.id, chans.find((c) => c.name === 'e2e slack').id);
  await page.getByLabel('test e2e hook').click();
  await page.getByText('sent: check that it arrived').waitFor();
  await until('the receiver got the test message', () => received.some((n) => n.test === true));
  check(true, 'a test message reached the webhook channel');
  await page.locator('.channels').scrollIntoViewIfNeeded();
  await shot('settings-channels', { clip: await page.locator('.channels').boundingBox() });

  // Status: add a check.
  await page.goto(`${base}/#/status`);
  await page.getByRole('button', { name: 'Add a check' }).click();
  await page.getByLabel('check name').fill('e2e shop');
  await page.getByLabel('check url').fill(target.url + '/health');
  await page.getByLabel('check interval').fill('5s');
  await page.getByLabel('check timeout').fill('2s');
  await page.getByLabel('check expected body').fill('ok');
  await page.getByText('Create check').click();
  const row = page.getByLabel('check e2e shop');
  await row.waitFor();
  const chk = (await api('/api/v1/checks')).checks.find((c) => c.name === 'e2e shop');
  created.checks.push(chk.id);
  await until('the check ran', async () => (await api(`/api/v1/checks/${chk.id}`)).status === 'up');
  // Its result is an event: the uptime is read from the events once they are stored.
  await until('the uptime is counted from its events', async () => (await api(`/api/v1/checks/${chk.id}`)).uptime === 1);
  await page.getByRole('button', { name: 'refresh' }).click();
  await row.locator('.check-state', { hasText: 'up' }).waitFor();
  check((await row.locator('.uptime-bars .ubar').count()) === 24, 'the check shows 24 hourly bars');
  check((await row.locator('.check-foot').textContent()).includes('200 in'), 'its last answer is shown');
  check((await row.locator('.check-uptime').textContent()).startsWith('100%'), 'its uptime over 24 h is 100%');
  check((await row.locator('.ubar-up').count()) === 1, 'the current hour is up, the others have no results');
  await shot('status-up');

  // A monitor of the check, from its "alert on it" link.
  await row.getByText('alert on it').click();
  await page.waitForURL(/#\/monitors\/new\?.*kind=check/);
  await page.getByLabel('monitor check').locator(`option[value="${chk.id}"]`).waitFor({ state: 'attached' });
  check((await page.getByLabel('monitor check').inputValue()) === String(chk.id), 'the form has the check chosen');
  await page.getByLabel('monitor name').fill('e2e shop down');
  await page.getByLabel('notify e2e hook').check();
  await shot('monitor-check-form');
  await page.getByText('Create monitor').click();
  await page.waitForURL(/#\/monitors\/\d+/);
  const mid = Number(page.url().match(/#\/monitors\/(\d+)/)[1]);
  created.monitors.push(mid);
  const m = await api(`/api/v1/monitors/${mid}`);
  check(m.kind === 'check' && m.check === chk.id && m.channels[0] === hook.id, 'the monitor watches the check and notifies the channel');

  // The service goes down: run the check now; the monitor is nudged.
  down = true;
  await page.goto(`${base}/#/status`);
  await page.getByLabel('run e2e shop').click();
  await page.getByLabel('check e2e shop').locator('.check-state', { hasText: 'down' }).waitFor();
  const alert = await until('the receiver got the alert', () => received.find((n) => n.status === 'firing' && n.monitor?.id === mid));
  check(alert.evidence?.check?.status_code === 503 && alert.text.includes('is ALERTING: check "e2e shop"') && alert.text.includes('is down: status 503'), `the alert says what fired: ${alert.text}`);
  await page.getByRole('button', { name: 'refresh' }).click();
  await page.locator('.status-banner', { hasText: /Something is wrong|Down/ }).waitFor();
  await page.locator('.status-alerting', { hasText: 'e2e shop down' }).waitFor();
  check((await page.getByLabel('check e2e shop').textContent()).includes('status 503, want 200'), 'the Status page says why it is down');
  await shot('status-down');

  await page.goto(`${base}/#/monitors/${mid}`);
  await page.locator('.mon-head .mstate-alert').waitFor();
  await page.locator('.mon-history tr', { hasText: 'notified' }).first().waitFor();
  await page.locator('.mon-deliveries tr', { hasText: 'sent' }).first().waitFor();
  // The channels' names arrive in a request of their own, beside the
  // deliveries': wait for the name rather than read the first render.
  await page.locator('.mon-deliveries tr', { hasText: 'e2e hook' }).first().waitFor({ timeout: 10000 }).catch(() => {});
  check((await page.locator('.mon-deliveries').textContent()).includes('e2e hook'), 'the deliveries name the channel');
  await shot('monitor-check-alert');

  // It comes back: resolved.
  down = false;
  await api(`/api/v1/checks/${chk.id}/run`, { method: 'POST' });
  await until('the receiver got the resolution', () => received.find((n) => n.status === 'resolved' && n.monitor?.id === mid));
  check(true, 'the resolution reached the channel');

  // A monitor grouped by service, through the form.
  await page.goto(`${base}/#/monitors/new?from=${range}`);
  await page.getByLabel('monitor name').fill('e2e errors by service');
  await page.getByLabel('monitor query').fill('level:error');
  await page.getByLabel('monitor group by').selectOption('service');
  await page.getByLabel('monitor threshold').fill('1');
  await page.getByLabel('monitor window').fill('3d');
  await page.getByLabel('monitor cooldown').fill('30m');
  await page.getByText('Create monitor').click();
  await page.waitForURL(/#\/monitors\/\d+/);
  const gid = Number(page.url().match(/#\/monitors\/(\d+)/)[1]);
  created.monitors.push(gid);
  await page.getByRole('button', { name: 'Evaluate now' }).click();
  await page.locator('.mon-series-table tbody tr').first().waitFor();
  const g = await api(`/api/v1/monitors/${gid}`);
  const hot = (g.series || []).filter((s) => s.state === 'alert');
  check(hot.length >= 1, `${hot.length} services alert separately`);
  check((await page.locator('.mon-series-table tbody tr').count()) === g.series.length, `the page lists the ${g.series.length} series`);
  await shot('monitor-grouped');
  await page.goto(`${base}/#/monitors?from=${range}`);
  const grow = page.locator('tr', { has: page.getByText('e2e errors by service', { exact: true }) });
  await grow.locator('.mon-hot .mon-series').first().waitFor();
  check((await grow.locator('.mon-to').textContent()) === 'nobody', 'the list says whom each monitor notifies');
  await shot('monitors-alerting');
});
for (const id of created.monitors) await api(`/api/v1/monitors/${id}`, { method: 'DELETE' }).catch((e) => console.error(e.message));
for (const id of created.checks) await api(`/api/v1/checks/${id}`, { method: 'DELETE' }).catch((e) => console.error(e.message));
for (const id of created.channels) await api(`/api/v1/channels/${id}`, { method: 'DELETE' }).catch((e) => console.error(e.message));
target.close();
receiver.close();
process.exit(ok ? 0 : 1);
