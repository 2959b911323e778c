// Keyboard navigation: "/" focuses the search (or the page's first input),
// j and k move between the rows of the page's list, Enter (or o) opens the
// focused row, g then a letter goes to a page (goKeys), Escape leaves an input or
// closes this help, and "?" shows it.
import { useEffect, useState } from 'react';
import { href, keep, navigate, parseHash } from '../route';

export const goKeys: Record<string, string> = {
  o: 'overview',
  e: 'explore',
  i: 'issues',
  p: 'product',
  n: 'incident',
  t: 'patterns',
  s: 'services',
  d: 'dashboards',
  f: 'fields',
  m: 'monitors',
  ',': 'settings',
};

function typing(el: EventTarget | null): boolean {
  const e = el as HTMLElement | null;
  if (!e || !e.tagName) return false;
  return e.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(e.tagName);
}

/** rows are the focusable rows of the page's main list, in order. */
function rows(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('main [data-row], main table.events tbody tr[tabindex]')].filter((e) => !e.closest('[hidden]'));
}

/** moveRow focuses the next (+1) or previous (-1) row and returns it. */
export function moveRow(dir: 1 | -1): HTMLElement | undefined {
  const rs = rows();
  if (rs.length === 0) return undefined;
  const cur = rs.findIndex((e) => e === document.activeElement || e.contains(document.activeElement));
  const next = rs[cur < 0 ? (dir > 0 ? 0 : rs.length - 1) : Math.min(rs.length - 1, Math.max(0, cur + dir))];
  next.focus();
  next.scrollIntoView({ block: 'nearest' });
  return next;
}

/** openRow follows the focused row's first link, or clicks the row. */
function openRow(row: HTMLElement): void {
  const a = row.querySelector<HTMLAnchorElement>('a[href]');
  if (a) a.click();
  else row.click();
}

export function useKeys(): [boolean, (v: boolean) => void] {
  const [help, setHelp] = useState(false);
  useEffect(() => {
    let g = false;
    const on = (e: KeyboardEvent) => {
      if (e.metaKey || e.ctrlKey || e.altKey) return;
      if (typing(e.target)) {
        if (e.key === 'Escape') (e.target as HTMLElement).blur();
        return;
      }
      if (g) {
        g = false;
        const p = goKeys[e.key];
        if (p) {
          e.preventDefault();
          navigate(href([p], keep(parseHash(location.hash))));
        }
        return;
      }
      const active = document.activeElement as HTMLElement | null;
      switch (e.key) {
        case '/': {
          const input = document.querySelector<HTMLInputElement>('main input[aria-label="search"]') || document.querySelector<HTMLInputElement>('main input:not([type=checkbox]):not([type=hidden])');
          if (input) {
            e.preventDefault();
            input.focus();
            input.select();
          }
          break;
        }
        case 'j':
          if (moveRow(1)) e.preventDefault();
          break;
        case 'k':
          if (moveRow(-1)) e.preventDefault();
          break;
        case 'o':
          if (active?.matches('[data-row], tr[tabindex]')) {
            e.preventDefault();
            openRow(active);
          }
          break;
        case 'Enter':
          if (active?.matches('[data-row]')) {
            e.preventDefault();
            openRow(active);
          }
          break;
        case 'g':
          g = true;
          break;
        case '?':
          setHelp((h) => !h);
          break;
        case 'Escape':
          setHelp(false);
          break;
      }
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, []);
  return [help, setHelp];
}

export function KeyHelp({ onClose }: { onClose: () => void }) {
  return (
    <div className="keys" role="dialog" aria-label="keyboard shortcuts">
      <b>Keyboard</b>{' '}
      <button type="button" className="plain" onClick={onClose} aria-label="close">
        ×
      </button>
      <table>
        <tbody>
          <tr>
            <td>
              <kbd>/</kbd>
            </td>
            <td>focus the search</td>
          </tr>
          <tr>
            <td>
              <kbd>j</kbd> <kbd>k</kbd>
            </td>
            <td>next, previous row</td>
          </tr>
          <tr>
            <td>
              <kbd>Enter</kbd> <kbd>o</kbd>
            </td>
            <td>open the row</td>
          </tr>
          <tr>
            <td>
              <kbd>g</kbd> then <kbd>o e i p n t s m d f ,</kbd>
            </td>
            <td>overview, explore, issues, product, incident, patterns, services, monitors, dashboards, fields, settings</td>
          </tr>
          <tr>
            <td>
              <kbd>Esc</kbd>
            </td>
            <td>leave the input, close this</td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}
