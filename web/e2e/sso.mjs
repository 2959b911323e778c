// Single sign-on in Chromium against a test OpenID Connect provider
// (scripts/web-sso.sh starts it and a lore serve that trusts it): the
// login page's "Sign in with Test ID", the provider's own sign-in page,
// back in Lore signed in as a new viewer of project 1 who sees its
// events; signing in again is the same account; someone of a domain Lore
// does not let in comes back to the login page with the reason.
import { api, check, env, run } from './harness.mjs';

const issuer = process.env.LORE_OIDC_ISSUER;
if (!issuer) throw new Error('LORE_OIDC_ISSUER (the test provider) is required: run scripts/web-sso.sh');
const eve = `eve-${Date.now()}@example.com`;
const marker = `ssoevent${Date.now()}`;

// An event in project 1 for the new viewer to find.
const line = `{"ts":"${new Date().toISOString()}","level":"warn","service":"checkout","msg":"${marker} seen by single sign-on"}`;
const sent = await fetch(env.lore + '/api/v1/ingest', { method: 'POST', headers: { Authorization: 'Bearer ' + env.ingestKey, 'Content-Type': 'application/x-ndjson' }, body: line });
if (sent.status !== 200) throw new Error(`ingest: ${sent.status} ${await sent.text()}`);

const ok = await run(
  async (page, shot, base) => {
    // Through the provider's sign-in page and back.
    const viaSSO = async (email) => {
      await page.goto(`${base}/#/login`);
      await page.getByRole('link', { name: 'Sign in with Test ID' }).click();
      await page.getByRole('heading', { name: 'Test ID' }).waitFor();
      check(new URL(page.url()).port === new URL(issuer).port, `the browser is at the provider (${new URL(page.url()).host})`);
      await page.getByLabel('Email').fill(email);
      return page;
    };

    await page.goto(`${base}/#/login`);
    await page.getByRole('link', { name: 'Sign in with Test ID' }).waitFor();
    await shot('sso-login');
    await viaSSO(eve);
    await shot('sso-provider');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((u) => u.host === new URL(base).host && /#\/(overview)?$/.test(u.hash || '#/'));
    await page.locator('header .account', { hasText: eve }).waitFor();
    check(await page.locator('header .account', { hasText: 'viewer' }).isVisible(), `back in Lore signed in as ${eve}, a viewer`);
    const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).json());
    check(me.project === 1 && me.projects.some((p) => p.id === 1 && p.name === 'default'), `the session opens project 1 "default" (${JSON.stringify(me.projects)})`);
    check(me.user && !me.user.has_password, 'the new user has no password (single sign-on only)');

    // The viewer sees the project's events.
    await page.goto(`${base}/#/explore?q=${marker}&from=now-1h`);
    await page.locator('table.events tbody tr', { hasText: marker }).first().waitFor({ timeout: 30000 });
    check(true, "the viewer finds project 1's event in Explore");
    await shot('sso-explore');

    // Signing in again is the same account.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Lore' }).waitFor();
    await viaSSO(eve);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('header .account', { hasText: eve }).waitFor();
    const users = (await api('/api/v1/members')).filter((m) => m.email === eve);
    check(users.length === 1 && users[0].role === 'viewer', `signing in again is the same user (${users.length} member)`);

    // Someone of another domain comes back with the reason.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Lore' }).waitFor();
    await viaSSO('mallory@evil.test');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Sign in to Lore' }).waitFor();
    const why = await page.getByRole('alert').innerText();
    check(/no Lore account/i.test(why), `a stranger is refused with the reason: "${why}"`);
    check((await page.locator('header .account').count()) === 0, 'and is not signed in');
    await shot('sso-refused');
  },
  { storeKey: false },
);

const m = (await api('/api/v1/members')).find((x) => x.email === eve);
if (m) await api(`/api/v1/members/${m.id}`, { method: 'DELETE' });
process.exit(ok ? 0 : 1);
