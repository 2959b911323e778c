// Measures the CPU the SDK's session recording costs the page, in headless
// Chromium (Debian's /usr/bin/chromium by default, or $CHROMIUM) with
// playwright-core. The same scripted visit runs on the same page three
// ways, interleaved round by round: without the SDK, with the SDK and
// recording off (replay: false), and with the SDK recording (rrweb, gzip
// in the page, uploads every second). Each visit's main-thread time is read
// with CDP's Performance.getMetrics (TaskDuration: every task the renderer
// ran; ScriptDuration: the JavaScript in them) before and after it, and the
// medians over the rounds are printed, with the machine's load average.
// A stub server here serves the page, the SDK from dist/ and answers the
// SDK's requests (no Lore needed: the figure is the page's).
//
//   node test/replay-cpu.mjs [ROUNDS]       (from sdk/js; default 5 rounds)
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, loadavg } from "node:os";
import { chromium } from "playwright-core";

const rounds = Number(process.argv[2] || 5);
const dist = new URL("../dist/", import.meta.url);
const sdk = readFileSync(new URL("lore.js", dist));
const recorder = readFileSync(new URL("lore-replay.js", dist));
let uploads = 0;
let uploadBytes = 0;

// The page: a shop's product list (240 cards) that changes as real pages
// do while the visit goes on: a clock ticking every 100 ms, a card's price
// changing every 200 ms, a card added and one removed every second.
const page = (mode) => `<!doctype html><html><head><meta charset="utf-8"><title>CPU</title>
<style>body{font:14px system-ui,sans-serif;margin:0}.grid{display:grid;grid-template-columns:repeat(6,1fr);gap:8px;padding:8px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px;height:90px}</style>
${mode === "none" ? "" : `<script src="/sdk.js"></script>
<script>lore.init("lore_cpu", {host: location.origin, flushInterval: 1000, replay: ${mode === "record" ? "{sampleRate: 1, flushInterval: 1000}" : "false"}});</script>`}
</head><body data-lore-unmask>
<header><h1>Shop</h1><span id="clock"></span> <input id="q" placeholder="search"></header>
<main class="grid" id="grid"></main>
<script>
const grid = document.getElementById('grid');
let n = 0;
const card = () => { const d = document.createElement('div'); d.className = 'card'; n++;
  d.innerHTML = '<b>Product ' + n + '</b><p>€<span class="price">' + (n * 7 % 90 + 9) + '.00</span></p><button>Add</button>'; return d; };
for (let i = 0; i < 240; i++) grid.append(card());
window.work = () => new Promise((done) => {
  let t = 0;
  const a = setInterval(() => { document.getElementById('clock').textContent = new Date().toISOString(); }, 100);
  const b = setInterval(() => { const p = grid.children[(t++ * 37) % grid.children.length].querySelector('.price'); p.textContent = (t % 90 + 9) + '.50'; }, 200);
  const c = setInterval(() => { grid.append(card()); grid.firstElementChild.remove(); }, 1000);
  setTimeout(() => { clearInterval(a); clearInterval(b); clearInterval(c); done(); }, 10000);
});
</script></body></html>`;

const cors = { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS" };
const server = createServer((req, res) => {
  const u = new URL(req.url, "http://x");
  if (req.method === "OPTIONS") return res.writeHead(204, cors).end();
  if (req.method === "POST") {
    let size = 0;
    req.on("data", (b) => (size += b.length));
    req.on("end", () => {
      if (u.pathname === "/api/v1/replay") (uploads++, (uploadBytes += size));
      res.writeHead(200, { ...cors, "Content-Type": "application/json" }).end("{}");
    });
    return;
  }
  if (u.pathname === "/sdk.js") return res.writeHead(200, { "Content-Type": "text/javascript" }).end(sdk);
  if (u.pathname === "/sdk-replay.js") return res.writeHead(200, { "Content-Type": "text/javascript" }).end(recorder);
  if (u.pathname === "/api/v1/replay/config")
    return res
      .writeHead(200, { ...cors, "Content-Type": "application/json" })
      .end(JSON.stringify({ enabled: true, sample_rate: 1, on_error: true, endpoint: "/api/v1/replay", max_chunk_bytes: 2 << 20 }));
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(page(u.pathname.slice(1)));
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const modes = ["none", "sdk", "record"];
const got = Object.fromEntries(modes.map((m) => [m, { task: [], script: [], uploads: [], bytes: [], before: [] }]));
const load = [loadavg()[0]];

/** visit runs the scripted visit once and returns its main-thread time (ms). */
async function visit(mode) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await context.newPage();
  const s0 = uploadBytes;
  await p.goto(`${base}/${mode}`, { waitUntil: "load" });
  if (mode === "record") await p.waitForFunction(() => window.lore.default.replay && window.lore.default.replay.stats(), null, { timeout: 20000 });
  await p.waitForTimeout(1000);
  const cdp = await context.newCDPSession(p);
  await cdp.send("Performance.enable");
  const metric = (m, name) => m.metrics.find((x) => x.name === name).value;
  const before = await cdp.send("Performance.getMetrics");
  const u0 = [uploads, uploadBytes];
  const work = p.evaluate(() => window.work());
  // The person: types a search, clicks Add on a few cards, scrolls down and back.
  await p.type("#q", "blue teapot stoneware", { delay: 60 });
  for (let i = 0; i < 8; i++) await p.click(`.card:nth-child(${3 + i * 5}) button`, { delay: 20 });
  await p.mouse.wheel(0, 1500);
  await p.waitForTimeout(500);
  await p.mouse.wheel(0, -1500);
  await work;
  const after = await cdp.send("Performance.getMetrics");
  await p.waitForTimeout(1200); // the last upload
  got[mode].task.push((metric(after, "TaskDuration") - metric(before, "TaskDuration")) * 1000);
  got[mode].script.push((metric(after, "ScriptDuration") - metric(before, "ScriptDuration")) * 1000);
  got[mode].uploads.push(uploads - u0[0]);
  got[mode].bytes.push(uploadBytes - u0[1]);
  got[mode].before.push(u0[1] - s0);
  await context.close();
}

try {
  for (let r = 0; r < rounds; r++) for (const m of r % 2 ? [...modes].reverse() : modes) await visit(m);
} finally {
  await browser.close();
  server.close();
}
load.push(loadavg()[0]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = { rounds, visit_s: 10, cores: cpus().length, load_avg_1m: load.map((x) => Math.round(x * 10) / 10) };
for (const m of modes) {
  out[m] = { task_ms: Math.round(median(got[m].task)), script_ms: Math.round(median(got[m].script)), uploads: median(got[m].uploads), upload_bytes: median(got[m].bytes), bytes_before_visit: median(got[m].before), all_task_ms: got[m].task.map(Math.round) };
}
out.recording_task_ms = out.record.task_ms - out.sdk.task_ms;
out.recording_script_ms = out.record.script_ms - out.sdk.script_ms;
out.recording_cpu_share = Math.round((out.recording_task_ms / 10000) * 1000) / 10 + "% of one core";
console.log(JSON.stringify(out, null, 1));
