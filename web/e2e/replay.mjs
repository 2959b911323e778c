// Session replay beside the journey (issue 16), in Chromium against a
// running demo whose shop records sessions: a session that rage-clicked
// Pay during the gateway's throttling opens with its replay; the replay
// plays (its position moves, the recorded page is drawn in the player);
// the timeline beside it holds the page's clicks, the backend's requests
// with their traces and the rage click; clicking a line seeks the replay
// there and the page it shows is the one the person saw; a story line
// seeks it too; the playing line is highlighted; the rage click's trace
// shows the gateway's 429. Screenshots into SHOTS.
import { api, check, env, run } from './harness.mjs';

const { range } = env;

// The demo's recordings are sealed a little after the backfill: wait for a rage click.
let rage;
for (let i = 0; i < 90 && !rage; i++) {
  rage = (await api(`/api/v1/search?q=${encodeURIComponent('name:$rageclick')}&from=${range}&limit=1`)).events[0];
  if (!rage) await new Promise((ok) => setTimeout(ok, 2000));
}
check(!!rage, 'the demo recorded a session that rage-clicked');
const sid = rage.session_id;
const rec = (await api(`/api/v1/replays?session=${sid}`)).replays[0];
check(!!rec && rec.sealed && rec.summary.detections.some((d) => d.kind === '$rageclick'), `session ${sid.slice(0, 8)} has a sealed recording with its rage click`);
const trace = await api(`/api/v1/journeys/trace/${rage.trace_id}`);
check(trace.events.some((e) => e.http_status === 429), `the rage click's trace ${rage.trace_id.slice(0, 8)} met the gateway's 429`);

const ok = await run(async (page, shot, base) => {
  const pos = async () => Number(await page.locator('.replay-time').getAttribute('data-pos'));
  const frame = page.frameLocator('.replay-stage iframe');

  await page.goto(`${base}/#/journey/session/${sid}?from=${range}`);
  await page.locator('.replay-stage[data-ready]').waitFor();
  check(true, 'the session opens with its replay');
  await frame.locator('header').first().waitFor();
  check((await frame.locator('body').innerText()).includes('Example Shop'), 'the player draws the recorded page');
  check(await page.locator('.sessions .current .replay-tag').isVisible(), 'the sessions list marks the session as recorded');

  const lines = page.locator('.replay-timeline li.rl');
  check((await lines.count()) >= 8, `the timeline holds the session's story (${await lines.count()} lines)`);
  check((await page.locator('.replay-timeline li.rl-request').count()) > 0, 'the timeline holds the backend requests');
  check((await page.locator('.replay-timeline .rl-trace').count()) > 0, 'the lines link to their traces');
  const rageLine = page.locator('.replay-timeline li.rl-frustration').filter({ hasText: /rage/i }).first();
  check(await rageLine.isVisible(), `the timeline tells the rage click: ${(await rageLine.innerText()).replace(/\s+/g, ' ')}`);
  check((await page.locator('.replay-mark.mark-frustration').count()) > 0, 'the scrubber marks the rage click');
  await shot('replay-open');

  // Play: the position moves.
  const before = await pos();
  await page.getByRole('button', { name: 'play' }).click();
  await page.waitForTimeout(2500);
  const after = await pos();
  check(after > before + 1000, `the replay plays (${before} ms → ${after} ms)`);
  await page.getByRole('button', { name: 'pause' }).click();

  // Click the rage click's line: the replay goes there and shows the payment page.
  await rageLine.locator('button.rl-seek').click();
  const want = Date.parse(rage.ts) - rec.start_ms - 1000;
  await page.waitForFunction((w) => Math.abs(Number(document.querySelector('.replay-time').getAttribute('data-pos')) - w) < 1500, want);
  check(true, `clicking the rage click's line seeks the replay to ${Math.round(want / 1000)} s`);
  await frame.locator('#pay').waitFor();
  check((await frame.locator('#pay').innerText()).includes('Pay now'), 'the player shows the payment page with its Pay button');
  check(await rageLine.evaluate((el) => el.classList.contains('playing')), 'the line at the position is highlighted');
  await page.getByRole('button', { name: 'play' }).click();
  await page.waitForTimeout(1200);
  // (it may have played to the end already: it skips the quiet stretches)
  if (await page.getByRole('button', { name: 'pause' }).isVisible()) await page.getByRole('button', { name: 'pause' }).click();
  await shot('replay-rage-click');

  // A story line seeks the replay too.
  const story = page.locator('.story .line a').filter({ hasText: /viewed \/checkout\/payment/ }).first();
  const storyRef = await story.evaluate((a) => a.closest('[data-ref]').dataset.ref);
  await story.click();
  await page.waitForURL(new RegExp(`ref=${storyRef}`));
  const ev = (await api(`/api/v1/journeys/session/${sid}`)).events[Number(storyRef)];
  const want2 = Math.max(0, Date.parse(ev.ts) - rec.start_ms - 1000);
  await page.waitForFunction((w) => Math.abs(Number(document.querySelector('.replay-time').getAttribute('data-pos')) - w) < 1500, want2);
  check(true, `a story line ("${(await story.innerText()).slice(0, 50)}") seeks the replay to ${Math.round(want2 / 1000)} s`);

  // The throttling story says who rage-clicked, and links their replays at the moment.
  await page.goto(`${base}/#/overview?from=${range}`);
  const card = page.locator('article.card').filter({ hasText: /rage-clicked/ }).first();
  await card.waitFor();
  check(true, `the story tells it: ${(await card.locator('p').filter({ hasText: /rage-clicked/ }).innerText()).slice(0, 120)}`);
  const link = card.locator('a.replay-link').first();
  check(await link.isVisible(), "the story card links the sessions' replays");
  await link.click();
  await page.waitForURL(/#\/journey\/session\/.*at=/);
  await page.locator('.replay-stage[data-ready]').waitFor();
  await frame.locator('#pay').waitFor();
  check(true, "the card's replay opens at the moment: the payment page with its Pay button");
  await shot('replay-from-story');

  // An issue whose latest event happened in a recorded session links its replay at that error.
  const issues = (await api(`/api/v1/issues?from=${range}&limit=100`)).issues || [];
  let withReplay;
  for (const it of issues) {
    const d = await api(`/api/v1/issues/${it.id}?from=${range}`);
    const le = d.latest_event || {};
    const s = le.session_id || (le.trace_id && le.trace_id === d.related?.trace_id ? (d.related.events || []).find((e) => e.session_id)?.session_id : '');
    if (s && (await api(`/api/v1/replays?session=${s}`)).replays.length) {
      withReplay = { id: it.id, session: s, title: it.title };
      break;
    }
  }
  check(!!withReplay, `an issue's latest event is in a recorded session (${withReplay?.title?.slice(0, 50)})`);
  await page.goto(`${base}/#/issues/${withReplay.id}?from=${range}`);
  const watch = page.locator('.issue-side a.replay-link');
  await watch.waitFor();
  await watch.click();
  await page.waitForURL(new RegExp(`#/journey/session/${withReplay.session}.*at=`));
  await page.locator('.replay-stage[data-ready]').waitFor();
  check(true, 'the issue page links the replay of its session, which opens and plays');

  // The rage click's trace: the backend's side of the moment.
  await page.goto(`${base}/#/journey/session/${sid}?from=${range}`);
  await page.locator('.replay-stage[data-ready]').waitFor();
  await rageLine.locator('a.rl-trace').click();
  await page.waitForURL(/#\/journey\/trace\//);
  await page.locator('.story .line').first().waitFor();
  const told = await page.locator('.story').innerText();
  check(/429/.test(told), "the rage click's trace tells the gateway's 429");
  await shot('replay-trace');
});
process.exit(ok ? 0 : 1);
