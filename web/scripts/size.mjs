// Reports the built bundle's size, raw and gzipped, and fails when the
// first page's gzip size (every asset index.html loads) passes 400 KB. It
// also writes each asset pre-compressed beside itself (NAME.gz, NAME.br),
// which the Go server sends to browsers that accept them (web/serve.go).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const out = process.env.LORE_WEB_OUT || new URL('../dist', import.meta.url).pathname;
const limit = 400 * 1024;
let raw = 0;
let gz = 0;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { walk(p); continue; }
    if (!/\.(html|js|css|svg|json)$/.test(name)) continue;
    const b = readFileSync(p);
    const zb = gzipSync(b, { level: 9 });
    const br = brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
    writeFileSync(p + '.gz', zb);
    writeFileSync(p + '.br', br);
    if (!/\.(html|js|css)$/.test(name)) continue;
    const z = zb.length;
    raw += b.length;
    gz += z;
    console.log(`  ${p.slice(out.length + 1).padEnd(40)} ${(b.length / 1024).toFixed(1).padStart(8)} KB  gzip ${(z / 1024).toFixed(1).padStart(7)} KB`);
  }
}
walk(out);
console.log(`web bundle: ${(raw / 1024).toFixed(1)} KB, gzip ${(gz / 1024).toFixed(1)} KB (limit ${limit / 1024} KB gzip for the first page)`);
if (gz > limit) {
  console.error('web bundle: over the gzip budget');
  process.exit(1);
}
