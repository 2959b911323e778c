// People and access in Chromium: the Access page (members, keys, audit
// log, projects: one made, opened and deleted) as the demo's admin, a new member signing in by the one-time link
// the page shows and choosing a password, and what a viewer sees and may
// not do.
import { api, check, env, run } from './harness.mjs';

const ann = `ann-${Date.now()}@example.com`;
const stamp = Date.now();
const shop = `shop-${stamp}`;

const ok = await run(async (page, shot, base, allow) => {
  await page.goto(`${base}/#/access`);
  const members = page.getByRole('region', { name: 'members' });
  await members.locator('td', { hasText: env.email }).waitFor();
  check(true, 'Access lists the signed-in admin among the members');

  // A new member: the page shows a one-time login link, once.
  await members.getByLabel('Email').fill(ann);
  await members.getByLabel('member role').selectOption('viewer');
  await members.getByRole('button', { name: 'Add or change' }).click();
  const link = await page.getByTestId('login-link').innerText();
  check(link.includes('#/login?link='), 'adding a new member shows a one-time login link');
  await members.locator('tr', { hasText: ann }).locator('td', { hasText: 'viewer' }).waitFor();
  check(true, `${ann} is listed as a viewer`);

  // A key: created with a scope and an expiry, shown once, revoked at once.
  const keys = page.getByRole('region', { name: 'keys' });
  await keys.getByLabel('key scope').selectOption('read');
  await keys.getByLabel('key expiry').selectOption('30d');
  await keys.getByRole('button', { name: 'Create key' }).click();
  const secret = await page.getByTestId('new-key').innerText();
  check(secret.startsWith('lore_rd_'), 'a new read key is shown once');
  const made = (await api('/api/v1/keys')).at(-1);
  check(made.role === 'read' && !!made.expires_at, `the key is listed with its expiry (${made.expires_at})`);
  const asKey = async () => (await fetch(env.lore + '/api/v1/dashboards', { headers: { Authorization: 'Bearer ' + secret } })).status;
  check((await asKey()) === 200, 'the new key reads');
  await keys.locator('tr', { has: page.locator('td', { hasText: new RegExp(`^${made.id}$`) }) }).getByRole('button', { name: 'Revoke' }).click();
  await keys.locator('td', { hasText: new RegExp(`^${made.id}$`) }).waitFor({ state: 'detached' });
  check((await asKey()) === 401, 'revoked from the page, the key stops at once');

  // The audit log tells who did it.
  await page.reload();
  const audit = page.getByRole('region', { name: 'audit log' });
  await audit.locator('tr', { hasText: 'PUT /api/v1/members' }).locator('td', { hasText: `user:${env.email}` }).first().waitFor();
  await audit.locator('tr', { hasText: 'DELETE /api/v1/keys/{id}' }).first().waitFor();
  check(true, 'the audit log lists the member added and the key revoked, by whom');
  await shot('access');

  // Projects (the demo's user is a server admin): make one; its keys are
  // shown once, its ingest key sends into it alone; open it, and delete it
  // from its Settings (the name typed to confirm), which leaves for another
  // project. Should a check fail before that, the finally retires it (its
  // keys revoked, its members removed) so the demo is left as it was.
  let id = 0;
  let ingest = '';
  let retired = false;
  let deleted = false;
  try {
    const projects = page.getByRole('region', { name: 'projects' });
    await projects.getByLabel('Project name').fill(shop);
    await projects.getByRole('button', { name: 'Create project' }).click();
    const news = projects.getByRole('status', { name: 'new project' });
    ingest = await news.getByTestId('new-project-ingest-key').innerText();
    const read = await news.getByTestId('new-project-read-key').innerText();
    check(ingest.startsWith('lore_in_') && read.startsWith('lore_rd_'), 'a new project shows its ingest and read keys once');
    id = Number((await news.innerText()).match(/Project (\d+)/)[1]);
    await projects.locator('tr', { hasText: shop }).getByRole('button', { name: 'Open' }).waitFor();
    check(true, `project ${id} "${shop}" is listed`);
    await news.scrollIntoViewIfNeeded();
    await shot('project-made');
    const line = `{"ts":"${new Date().toISOString()}","level":"info","service":"web","msg":"hello from project${stamp}"}`;
    const sent = await fetch(env.lore + '/api/v1/ingest', { method: 'POST', headers: { Authorization: 'Bearer ' + ingest, 'Content-Type': 'application/x-ndjson' }, body: line });
    check(sent.status === 200, `the new project's ingest key sends (${sent.status})`);
    const find = async (key) => {
      const r = await fetch(env.lore + '/api/v1/search?' + new URLSearchParams({ q: `project${stamp}`, from: 'now-1h', to: 'now+1h' }), { headers: { Authorization: 'Bearer ' + key } });
      return (await r.json()).events?.length || 0;
    };
    let found = 0;
    for (let i = 0; i < 50 && !found; i++) {
      found = await find(read);
      if (!found) await new Promise((ok) => setTimeout(ok, 200));
    }
    check(found === 1, "the new project's read key finds its event");
    check((await find(env.key)) === 0, 'project 1 does not see it');

    await news.getByRole('button', { name: `Open ${shop}` }).click();
    await page.waitForURL(/#\/overview/);
    const menu = page.getByRole('combobox', { name: 'project' });
    await menu.waitFor();
    check((await menu.inputValue()) === String(id), `the header's project menu shows ${shop} open`);
    await page.goto(`${base}/#/access`);
    await page.getByRole('region', { name: 'members' }).locator('tr', { hasText: env.email }).locator('td', { hasText: /^admin$/ }).waitFor();
    check((await page.getByRole('region', { name: 'keys' }).locator('tbody tr').count()) === 2, `${shop}'s Access page lists its two keys`);
    await shot('project-open');
    // Deleted from its Settings: the button waits for the project's name.
    await page.goto(`${base}/#/settings`);
    const zone = page.getByRole('region', { name: 'Delete project' });
    await zone.getByRole('button', { name: 'Delete project' }).waitFor();
    check(await zone.getByRole('button', { name: 'Delete project' }).isDisabled(), 'Delete project is disabled until the name is typed');
    await zone.getByLabel('project name to confirm').fill(shop.slice(0, -1));
    check(await zone.getByRole('button', { name: 'Delete project' }).isDisabled(), 'a name typed wrong leaves it disabled');
    await zone.getByLabel('project name to confirm').fill(shop);
    await zone.scrollIntoViewIfNeeded();
    await shot('project-delete');
    await zone.getByRole('button', { name: 'Delete project' }).click();
    await page.waitForURL(/#\/overview/);
    await page.locator('header .account').waitFor();
    // The header's project menu shows only with two projects or more.
    const menus = await page.getByRole('combobox', { name: 'project' }).count();
    const options = menus ? await page.getByRole('combobox', { name: 'project' }).locator('option').allInnerTexts() : [];
    check(!options.some((o) => o.includes(shop)), `after deleting ${shop} the header opens another project's Overview and no longer lists it`);
    check((await find(read)) === 0, "the deleted project's read key finds nothing");
    deleted = true;
  } finally {
    if (id && !deleted) retired = await retire(page, id).catch((e) => (console.log(`retiring project ${id}: ${e}`), false));
  }
  const late = await fetch(env.lore + '/api/v1/ingest', { method: 'POST', headers: { Authorization: 'Bearer ' + ingest, 'Content-Type': 'application/x-ndjson' }, body: '{"msg":"late"}' });
  check((deleted || retired) && late.status === 401, `${shop} is gone: its ingest key answers ${late.status}`);

  // Sign out; the new member signs in by the link and chooses a password.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Lore' }).waitFor();
  check(true, 'signing out shows the login page');
  await page.goto(link.replace(/^https?:\/\/[^/]+/, base));
  await page.getByRole('heading', { name: 'Choose a password' }).waitFor();
  await shot('login-link');
  await page.getByLabel('New password').fill('ann-password-123');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.waitForURL(/#\/overview/);
  await page.locator('header .account', { hasText: ann }).waitFor();
  check(await page.locator('header .account', { hasText: 'viewer' }).isVisible(), 'the header shows the viewer signed in');
  check((await page.locator('header nav a', { hasText: 'Access' }).count()) === 0, 'a viewer has no Access page');
  await shot('viewer');

  // A viewer's write is refused by the server, CSRF token and all.
  allow(/status of 403/);
  const status = await page.evaluate(async () => {
    const csrf = (document.cookie.match(/lore_csrf=([^;]+)/) || [])[1] || '';
    const r = await fetch('/api/v1/dashboards', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: '{"name":"x","panels":[]}' });
    return r.status;
  });
  check(status === 403, `a viewer creating a dashboard gets ${status}`);

  // The password works next time.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Email').fill(ann);
  await page.getByLabel('Password').fill('ann-password-123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('header .account', { hasText: ann }).waitFor();
  check(true, 'the viewer signs in with the password chosen');
});

/**
 * retire revokes a project's keys and removes its members, through the
 * page's session (a server admin's, who stays admin of every project); it
 * says whether the project is left with neither.
 */
async function retire(page, project) {
  return page.evaluate(async (project) => {
    const csrf = (document.cookie.match(/lore_csrf=([^;]+)/) || [])[1] || '';
    const h = { 'X-Lore-Project': String(project), 'X-CSRF-Token': csrf };
    const list = async (path) => (await fetch(path, { headers: h })).json();
    for (const k of await list('/api/v1/keys')) await fetch(`/api/v1/keys/${k.id}`, { method: 'DELETE', headers: h });
    for (const m of await list('/api/v1/members')) await fetch(`/api/v1/members/${m.id}`, { method: 'DELETE', headers: h });
    return (await list('/api/v1/keys')).length === 0 && (await list('/api/v1/members')).length === 0;
  }, project);
}

// Leave the demo as it was.
const m = (await api('/api/v1/members')).find((x) => x.email === ann);
if (m) await api(`/api/v1/members/${m.id}`, { method: 'DELETE' });
process.exit(ok ? 0 : 1);
