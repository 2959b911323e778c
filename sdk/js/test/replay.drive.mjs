// Drives session recording in headless Chromium (Debian's /usr/bin/chromium
// by default, or $CHROMIUM) with playwright-core. internal/e2e's
// TestBrowserReplay starts Lore and a backend, runs this script with the
// pages' URLs, then checks what Lore stored. Every upload of the recorder
// is captured here too, so the test can look for what must never leave the
// page. Prints a JSON summary.
import { chromium } from "playwright-core";

// node replay.drive.mjs RECORD_URL BUFFER_URL   (the project records)
// node replay.drive.mjs off PAGE_URL              (the project does not)
const args = process.argv.slice(2);
if (args.length !== 2) {
  console.error("usage: node replay.drive.mjs RECORD_URL BUFFER_URL | off PAGE_URL");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

/** Opens url in a fresh context; collects the recorder's uploads and every script the page loads. */
async function open(url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const out = { uploads: 0, scripts: [] };
  page.on("console", (m) => console.error("page:", m.text()));
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (r.resourceType() === "script") out.scripts.push(u.pathname);
    if (u.pathname === "/api/v1/replay" && r.method() === "POST") out.uploads++; // the bodies are checked where they arrive
  });
  await page.goto(url, { waitUntil: "load" });
  return { context, page, out };
}

/** Waits until the recorder runs (the chunk loaded and started). */
async function recorderStarted(page) {
  await page.waitForFunction(() => window.lore && window.lore.default.replay && window.lore.default.replay.stats(), null, { timeout: 20000 });
}

try {
  if (args[0] === "off") {
    // Recording off for the project: the recorder is never loaded.
    const off = await open(args[1]);
    await off.page.click("#pay");
    await off.page.waitForTimeout(1500);
    const started = await off.page.evaluate(() => !!(window.lore && window.lore.default.replay && window.lore.default.replay.stats()));
    await off.context.close();
    console.log(JSON.stringify({ scripts: off.out.scripts, uploads: off.out.uploads, started }));
  } else {
    await recordAndBuffer(args[0], args[1]);
  }
} finally {
  await browser.close();
}

async function recordAndBuffer(recordURL, bufferURL) {
  // 1. Recorded from the start: type, click, an error, navigate, leave.
  const rec = await open(recordURL);
  await recorderStarted(rec.page);
  const cdp = await rec.page.context().newCDPSession(rec.page);
  await cdp.send("Performance.enable");
  const before = await cdp.send("Performance.getMetrics");
  await rec.page.fill("#card", "4242 4242 4242 4242");
  await rec.page.fill("#coupon", "SPRING10");
  await rec.page.fill("#pw", "hunter2");
  await rec.page.click("#pay");
  await rec.page.waitForFunction(() => document.getElementById("out").textContent === "paid");
  await rec.page.waitForTimeout(300);
  await rec.page.click("#boom");
  await rec.page.waitForTimeout(700);
  for (let i = 0; i < 4; i++) await rec.page.click("#dead", { delay: 10 });
  await rec.page.waitForTimeout(3200);
  await rec.page.click("#nav");
  await rec.page.waitForTimeout(1200);
  const after = await cdp.send("Performance.getMetrics");
  const metric = (m, name) => (m.metrics.find((x) => x.name === name) || { value: 0 }).value;
  const session = await rec.page.evaluate(() => JSON.parse(localStorage.getItem("lore:session")).id);
  const stats = await rec.page.evaluate(() => window.lore.default.replay.stats());
  await rec.page.evaluate(() => window.lore.default.replay.flush());
  await rec.page.waitForTimeout(500);
  // Going away: what is left goes by sendBeacon.
  await rec.page.evaluate(() => document.getElementById("out").append(" bye"));
  await rec.page.close({ runBeforeUnload: true });
  await new Promise((r) => setTimeout(r, 500));

  // 2. Not sampled, kept on error: nothing goes until the error, then the minute before it too.
  const buf = await open(bufferURL);
  await recorderStarted(buf.page);
  await buf.page.fill("#coupon", "BEFORE-THE-ERROR");
  await buf.page.waitForTimeout(1500);
  const uploadsBeforeError = buf.out.uploads;
  const errorAt = await buf.page.evaluate(() => Date.now());
  await buf.page.click("#boom");
  await buf.page.waitForTimeout(1500);
  await buf.page.evaluate(() => window.lore.default.replay.flush());
  await buf.page.waitForTimeout(500);
  const bufSession = await buf.page.evaluate(() => JSON.parse(localStorage.getItem("lore:session")).id);
  await buf.context.close();

  console.log(
    JSON.stringify({
      session,
      stats,
      pageScriptMs: Math.round((metric(after, "ScriptDuration") - metric(before, "ScriptDuration")) * 1000),
      pageTaskMs: Math.round((metric(after, "TaskDuration") - metric(before, "TaskDuration")) * 1000),
      uploads: rec.out.uploads,
      recordScripts: rec.out.scripts,
      buffer: { session: bufSession, uploadsBeforeError, errorAt, uploads: buf.out.uploads },
    }),
  );
}
