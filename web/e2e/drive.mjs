// The web UI's end-to-end test: serves the built UI (LORE_WEB_OUT) on a
// free port with /api proxied to a running Lore (LORE_URL), opens every
// page in headless Chromium, asserts on real content read from the same API,
// follows the links a user follows, fails on console errors, and saves a
// screenshot of every page into SHOTS.
import { api, check, env, post, run, settled, signIn } from './harness.mjs';

const { key, range } = env;

const ok = await run(
  async (page, shot, base, allow) => {
    // Signed out, the shell shows the login page; a wrong password is told
    // (its 401 is the one the console may show).
    await page.goto(base + '/#/overview');
    await page.getByRole('heading', { name: 'Sign in to Lore' }).waitFor();
    check(true, 'signed out: the shell shows the login page');
    await shot('login');
    await page.getByLabel('Email').fill(env.email);
    await page.getByLabel('Password').fill('not-the-password');
    allow(/status of 401/);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /wrong email or password/i }).waitFor();
    check(true, 'a wrong password is refused in plain words');
    // Signing in opens the overview.
    const stories = (await api(`/api/v1/stories?from=${range}`)).stories || [];
    check(stories.length > 0, `the API has ${stories.length} story cards`);
    await signIn(page, base);
    await page.goto(`${base}/#/overview?from=${range}`);
    await page.locator('.card h3', { hasText: stories[0].title }).first().waitFor();
    check(true, `overview shows the first story card "${stories[0].title}"`);
    const cards = await page.locator('.card').count();
    check(cards === stories.length, `overview shows all ${stories.length} cards (${cards})`);
    await page.locator('.num b').first().filter({ hasNotText: '…' }).waitFor();
    const events = await page.locator('.num').first().innerText();
    check(/\d/.test(events), `overview numbers: ${events.replace(/\s+/g, ' ')}`);
    // p95 latency and active users, as the API answers them.
    const lat = await api(`/api/v1/latency?from=${range}`);
    const users = await api(`/api/v1/facets?field=user_id&limit=1&from=${range}`);
    const fmtMs = (ms) => (ms < 1000 ? ms.toFixed(ms < 10 ? 1 : 0) + ' ms' : (ms / 1000).toFixed(1) + ' s');
    const p95 = page.locator('.num', { hasText: 'p95 latency' });
    await p95.locator('b', { hasText: fmtMs(lat.p95_ms) }).waitFor();
    check(lat.spans > 0, `overview p95 latency reads ${fmtMs(lat.p95_ms)} over ${lat.spans} spans`);
    const fmtNum = (n) => (n >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(n));
    const au = page.locator('.num', { hasText: 'active users' });
    await au.locator('b', { hasText: new RegExp('^' + fmtNum(users.distinct).replace('.', '\\.') + '$') }).waitFor();
    check(users.distinct > 0, `overview active users reads ${fmtNum(users.distinct)} (distinct user ids in the range)`);
    await shot('overview');

    // Dark mode stays readable.
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('overview-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // Story card → journey.
    const withJourney = stories.find((s) => s.evidence?.journeys?.length);
    check(!!withJourney, `a story card has a journey ("${withJourney?.title}")`);
    const card = page.locator('.card', { has: page.locator('h3', { hasText: withJourney.title }) }).first();
    await card.locator('a.journey-link').first().click();
    await page.waitForURL(/#\/journey\/trace\//);
    const tid = withJourney.evidence.journeys[0].match(/trace\/([^?]+)/)[1];
    const j = await api(`/api/v1/journeys/trace/${tid}`);
    await page.locator('.outcome').waitFor();
    const outcome = await page.locator('.outcome').innerText();
    // Opened without a moment, a trace opens at its first failure, and says what it was.
    const failing = j.events.find((e) => e.level === 'error' || e.level === 'fatal' || e.kind === 'error' || (e.kind === 'span' && e.http_status >= 400));
    check(failing ? outcome.includes(failing.service) : outcome.includes(`Outcome: ${j.summary.outcome}`), `journey states the moment's outcome: ${outcome}`);
    const firstLine = j.story.find((l) => l.kind !== 'gap');
    await page.locator('.story .line', { hasText: firstLine.text }).first().waitFor();
    check(true, `journey shows the story line "${firstLine.text}"`);
    // The waterfall: one row per span, the other events in their span's row or apart.
    const spanIds = new Set(j.events.filter((e) => e.kind === 'span' && e.span_id).map((e) => e.span_id));
    const loose = j.events.filter((e) => !(e.kind === 'span' && e.span_id) && !spanIds.has(e.span_id)).length;
    const rows = await page.locator('.wf2-row').count();
    check(rows === spanIds.size + loose, `the trace's waterfall has a row per span (${spanIds.size}) and per event outside them (${loose}): ${rows}`);
    await shot('journey-from-story');

    // Trace journey → its latency breakdown by service on the Services page.
    const bd = await api(`/api/v1/services/map?trace_id=${tid}`);
    await page.getByText('latency by service').click();
    await page.waitForURL(new RegExp('#/services\\?.*trace=' + tid));
    await page.locator('.time-list tbody tr').first().waitFor();
    const bdRows = await page.locator('.time-list tbody tr').allInnerTexts();
    check(bdRows.length === bd.services.length && bdRows[0].startsWith(bd.services[0].service),
      `the trace's breakdown lists ${bd.services.length} services, ${bd.services[0].service} first (${bdRows.length})`);
    await shot('services-trace-breakdown');

    // A user journey with gaps marked.
    const user = (await api(`/api/v1/search?q=${encodeURIComponent("kind:event user_id:*")}&from=${range}&limit=1`)).events[0]?.user_id;
    if (user) {
      await page.goto(`${base}/#/journey/user/${user}`);
      await page.locator('.journey h2', { hasText: user }).waitFor();
      await page.locator('.outcome').waitFor();
      const uj = await api(`/api/v1/journeys/user/${user}`);
      // Grouped by session: the story of the latest session, with the gaps inside it.
      const nSessions = await page.locator('.sessions li:not(.day)').count();
      check(nSessions >= 1, `user journey lists ${nSessions} sessions`);
      const shown = await page.locator('.story .gap').count();
      check(shown <= uj.story.filter((l) => l.kind === 'gap').length, `user journey marks the gaps of its session (${shown})`);
      await shot('journey-user');
    }

    // Explore: search, histogram, facets, event panel, open journey.
    const q = 'level:error';
    const res = await api(`/api/v1/search?q=${encodeURIComponent(q)}&from=${range}&limit=100`);
    check(res.events.length > 0, `the API finds ${res.events.length} errors`);
    await page.goto(`${base}/#/explore?q=${encodeURIComponent(q)}&from=${range}`);
    await page.locator('table.events tbody tr').first().waitFor();
    const nrows = await page.locator('table.events tbody tr').count();
    check(nrows === res.events.length, `explore lists the ${res.events.length} results (${nrows})`);
    await page.locator('.hist canvas').first().waitFor();
    check(true, 'explore draws the histogram');
    const svc = page.locator('.facet', { has: page.locator('h4', { hasText: /^service$/ }) }).locator('li a').first();
    await svc.waitFor();
    const svcName = await svc.locator('.fv').innerText();
    await shot('explore');
    await svc.click();
    await page.waitForURL(new RegExp('q=' + encodeURIComponent(q).replace(/%20/g, '\\+') + '.*service'));
    const filtered = await api(`/api/v1/search?q=${encodeURIComponent(`${q} service:${svcName}`)}&from=${range}&limit=100`);
    // The filtered page replaces the last (both may hold 100 rows): the old rows are aria-busy until then.
    await settled(page);
    check((await page.locator('table.events tbody tr').count()) === filtered.events.length, `the filtered search lists ${filtered.events.length} rows`);
    const svcs = new Set(await page.locator('table.events tbody tr td:nth-child(3)').allInnerTexts());
    check(svcs.size === 1 && svcs.has(svcName), `facet service:${svcName} filters to ${filtered.events.length} results of ${svcName} only`);
    await page.locator('table.events tbody tr').first().click();
    await page.locator('.panel').waitFor();
    await shot('explore-event');
    const openTrace = page.locator('.panel a', { hasText: 'open trace journey' });
    check((await openTrace.count()) === 1, 'the event panel offers its trace journey');
    await openTrace.click();
    await page.waitForURL(/#\/journey\/trace\//);
    await page.locator('.outcome').waitFor();
    check(true, 'event → trace journey opens');

    // Issues: list and detail, then the related trace.
    const issues = (await api(`/api/v1/issues?status=unresolved&from=${range}`)).issues || [];
    check(issues.length > 0, `the API has ${issues.length} unresolved issues`);
    await page.goto(`${base}/#/issues?from=${range}`);
    await page.locator('.issue-title', { hasText: issues[0].title }).first().waitFor();
    check(true, `issues lists "${issues[0].title}"`);
    await shot('issues');
    await page.locator('.issue-title', { hasText: issues[0].title }).first().click();
    await page.waitForURL(/#\/issues\/\d+/);
    const detail = await api(`/api/v1/issues/${issues[0].id}?from=${range}`);
    const frames = detail.latest_event?.exception?.[0]?.stacktrace?.frames || detail.latest_event?.stacktrace?.frames || [];
    const frame = frames.find((f) => f.in_app) || frames[0];
    if (frame) {
      await page.locator('.frames li', { hasText: frame.function }).first().waitFor();
      check(true, `issue detail shows the stack frame ${frame.function}`);
    }
    await shot('issue-detail');
    if (detail.related?.trace_url) {
      await page.locator('a', { hasText: 'open the trace at this error' }).first().click();
      await page.waitForURL(/#\/journey\/trace\/.*at=/);
      await page.locator('.outcome').waitFor();
      check(true, 'issue → related trace journey opens');
      await shot('journey-from-issue');
    }

    // Product: the default funnel, its step counts, a drop-off's journeys.
    const steps = [{ event: 'Product Viewed' }, { event: 'Checkout Started' }, { event: 'Order Completed' }];
    const funnel = await post('/api/v1/funnels', { steps, window: '1h', from: range, to: 'now' });
    await page.goto(`${base}/#/product?from=${range}`);
    for (const [i, s] of funnel.steps.entries()) {
      await page.locator('.fstep', { hasText: `${i + 1}. ${s.name}` }).filter({ hasText: `${s.persons} persons` }).first().waitFor();
    }
    check(true, `product funnel shows its step counts (${funnel.steps.map((s) => s.persons).join(' → ')})`);
    await shot('product');
    const dropJourney = page.locator('.dropoff a.journey-link').first();
    if ((await dropJourney.count()) > 0) {
      await dropJourney.click();
      await page.waitForURL(/#\/journey\/person\//);
      await page.locator('.outcome').waitFor();
      check(true, 'funnel drop-off → a person\'s journey opens');
      await shot('journey-person');
    }

    // Patterns.
    const pats = (await api(`/api/v1/patterns?from=${range}&limit=100`)).patterns || [];
    check(pats.length > 0, `the API has ${pats.length} log patterns`);
    await page.goto(`${base}/#/patterns?from=${range}`);
    await page.locator('.pattern-list td.msg a', { hasText: pats[0].template }).first().waitFor();
    check(true, `patterns lists "${pats[0].template}"`);
    await shot('patterns');

    // Services.
    const map = await api(`/api/v1/services/map?from=${range}`);
    await page.goto(`${base}/#/services?from=${range}`);
    await page.locator('.svcmap').waitFor();
    for (const n of map.nodes) await page.locator('.svcmap .node text.name', { hasText: n.id }).first().waitFor();
    const edgeRows = await page.locator('.edge-list tbody tr').count();
    check(edgeRows === map.edges.length, `service map shows ${map.nodes.length} nodes and ${map.edges.length} calls (${edgeRows})`);
    await shot('services');
  },
  { storeKey: false }, // the first check opens the shell without a key
);
process.exit(ok ? 0 : 1);
