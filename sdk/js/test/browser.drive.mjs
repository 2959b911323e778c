// Drives the test page in headless Chromium (Debian's /usr/bin/chromium by
// default, or $CHROMIUM) with playwright-core. internal/e2e's
// TestBrowserSDK starts Lore and a backend, runs this script with the
// page's URL, then checks what Lore stored. Prints a JSON summary.
import { chromium } from "playwright-core";

const url = process.argv[2];
if (!url) {
  console.error("usage: node browser.drive.mjs PAGE_URL");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("console", (m) => console.error("page:", m.text()));
  await page.goto(url, { waitUntil: "load" });
  const anonymousId = await page.evaluate(() => localStorage.getItem("lore:anonymous_id"));
  const session1 = await page.evaluate(() => JSON.parse(localStorage.getItem("lore:session")).id);
  await page.click("#buy");
  await page.waitForFunction(() => document.getElementById("out").textContent === "ok");
  await page.click("#login");
  await page.click("#nav");
  await page.waitForFunction(() => location.pathname === "/checkout");
  await page.click("#boom");
  await page.click("#reject");
  await page.waitForTimeout(600);
  // Offline: events wait in the queue (and localStorage), then go.
  await context.setOffline(true);
  await page.evaluate(() => window.lore.track("Offline Click", { n: 1 }));
  await page.waitForTimeout(500);
  const queued = await page.evaluate(() => JSON.parse(localStorage.getItem("lore:queue") || "[]").length);
  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event("online")));
  await page.waitForTimeout(800);
  // A last event sent by sendBeacon as the page goes away.
  await page.evaluate(() => window.lore.track("Left Page"));
  await page.close({ runBeforeUnload: true });
  await new Promise((r) => setTimeout(r, 500));
  console.log(JSON.stringify({ anonymousId, session1, queuedWhileOffline: queued }));
} finally {
  await browser.close();
}
