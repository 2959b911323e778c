// The shape of the web client's code: pages import shared components and
// the API module, never another page; API types live in src/api only.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const src = import.meta.dirname;
const pages = readdirSync(join(src, 'pages')).filter((f) => /\.tsx?$/.test(f) && !/\.test\./.test(f));

test('pages import components, never other pages', () => {
  const bad: string[] = [];
  for (const f of pages) {
    for (const m of readFileSync(join(src, 'pages', f), 'utf8').matchAll(/from '\.\/([^']+)'/g)) {
      if (!m[1].endsWith('.css')) bad.push(`${f} imports ./${m[1]}`);
    }
  }
  expect(bad).toEqual([]);
});

test('no API type is declared outside src/api', () => {
  const bad: string[] = [];
  const files = [...pages.map((f) => join('pages', f)), ...readdirSync(join(src, 'components')).filter((f) => !/\.test\./.test(f)).map((f) => join('components', f))];
  for (const f of files) {
    const text = readFileSync(join(src, f), 'utf8');
    // An interface with a field the API writes in snake_case is an API shape.
    for (const m of text.matchAll(/interface (\w+)[^{]*\{([^}]*)\}/g)) {
      if (/\b[a-z]+_[a-z_]+\??:/.test(m[2])) bad.push(`${f}: ${m[1]}`);
    }
  }
  expect(bad).toEqual([]);
});

test('no load takes its abort signal from a module variable', () => {
  const client = readFileSync(join(src, 'api', 'client.ts'), 'utf8');
  expect(client).not.toMatch(/^let /m);
});
