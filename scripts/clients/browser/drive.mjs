// The browser half of TestClients (internal/e2e), in two steps:
//
//   node drive.mjs build DIR     copies the shop's src/ to DIR/src and
//                                bundles it into DIR/dist/app.js with its
//                                map (sources named src/main.js…, as in a
//                                real project); installs Lore's SDK from
//                                LORE_URL/sdk.tgz (npm install, as a user
//                                would) and bundles src/npm-check.js with it
//   node drive.mjs run PAGE_URL  opens the page in headless Chromium
//                                (Debian's /usr/bin/chromium, or $CHROMIUM)
//                                and plays a visit: pay, sign in, order, an
//                                uncaught error; prints a JSON summary
import { chromium } from "playwright-core";
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const [step, arg] = process.argv.slice(2);
const { LORE_URL } = process.env;

if (step === "build") {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), "lore-sdk-npm-"));
  try {
    execFileSync("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--no-package-lock", `${LORE_URL}/sdk.tgz`], { stdio: ["ignore", "ignore", "inherit"] });
    fs.cpSync(path.join(here, "src"), path.join(arg, "src"), { recursive: true });
    await build({
      entryPoints: [path.join(arg, "src/main.js"), path.join(arg, "src/npm-check.js")],
      bundle: true,
      minify: true,
      sourcemap: true,
      format: "iife",
      target: "es2020",
      outdir: path.join(arg, "dist"),
      entryNames: "[name]",
      nodePaths: [path.join(prefix, "node_modules"), path.join(here, "..", "node_modules")],
      logLevel: "warning",
    });
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
  fs.renameSync(path.join(arg, "dist", "main.js"), path.join(arg, "dist", "app.js"));
  fs.renameSync(path.join(arg, "dist", "main.js.map"), path.join(arg, "dist", "app.js.map"));
  const js = path.join(arg, "dist", "app.js");
  fs.writeFileSync(js, fs.readFileSync(js, "utf8").replace("sourceMappingURL=main.js.map", "sourceMappingURL=app.js.map"));
  console.log(JSON.stringify({ built: js }));
} else if (step === "run") {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    // Without the automation flag (navigator.webdriver), which posthog-js
    // takes for a bot and drops every event of.
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
      "--disable-blink-features=AutomationControlled"],
  });
  const out = { consoleErrors: [], failedRequests: [], replayStarted: false, replayStopped: false };
  try {
    // A desktop Chrome, as users run it (posthog-js drops headless agents).
    const context = await browser.newContext({
      userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
    });
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || /PostHog|Sentry|Segment|analytics/i.test(m.text())) out.consoleErrors.push(`${m.type()}: ${m.text()} ${m.location().url || ""}`);
    });
    page.on("requestfailed", (r) => {
      if (r.url().startsWith(LORE_URL) && !r.url().includes("/static/")) out.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
    });
    page.on("response", (r) => {
      if (r.url().startsWith(LORE_URL) && r.status() >= 400 && !r.url().includes("/static/")) out.failedRequests.push(`${r.request().method()} ${r.url()}: ${r.status()}`);
    });
    await page.goto(arg, { waitUntil: "load" });
    // Sentry's replay starts recording at once (session sampling 1).
    for (let i = 0; i < 40 && !out.replayStarted; i++) {
      out.replayStarted = await page.evaluate(() => !!window.shop.replayId());
      if (!out.replayStarted) await page.waitForTimeout(250);
    }
    await page.waitForTimeout(1000);
    await page.click("#pay");
    await page.waitForFunction(() => document.getElementById("out").textContent === "paid");
    await page.waitForTimeout(500);
    await page.evaluate(() => window.shop.login());
    await page.waitForTimeout(300);
    await page.evaluate(() => window.shop.order());
    await page.waitForTimeout(300);
    await page.evaluate(() => window.shop.boom());
    // Sentry's replay sends its first segment after about 5 s; Lore's
    // answer rate-limits the replay category and the replay stops.
    for (let i = 0; i < 40 && !out.replayStopped; i++) {
      out.replayStopped = out.replayStarted && !(await page.evaluate(() => window.shop.replayId()));
      if (!out.replayStopped) await page.waitForTimeout(500);
    }
    await page.waitForTimeout(1500);
    await page.close({ runBeforeUnload: true });
    // The other order: Lore's SDK initialised before Sentry's.
    const first = await context.newPage();
    await first.goto(new URL("/lore-first", arg).href, { waitUntil: "load" });
    await first.waitForTimeout(500);
    await first.click("#pay");
    await first.waitForFunction(() => document.getElementById("out").textContent === "paid");
    await first.waitForTimeout(500);
    await first.close({ runBeforeUnload: true });
    // Lore's SDK installed from npm, on a page of its own.
    const npm = await context.newPage();
    await npm.goto(new URL("/npm", arg).href, { waitUntil: "load" });
    await npm.waitForTimeout(1000);
    await npm.close({ runBeforeUnload: true });
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
} else {
  console.error("usage: node drive.mjs build DIST | run PAGE_URL");
  process.exit(2);
}
