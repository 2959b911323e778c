// Light and dark mode: the system's preference (prefers-color-scheme)
// unless the header's toggle chose one, kept in localStorage.
import { useEffect, useState } from 'react';

const themeKey = 'lore.theme';

export type Theme = 'light' | 'dark' | '';

export function savedTheme(): Theme {
  try {
    const t = localStorage.getItem(themeKey);
    return t === 'light' || t === 'dark' ? t : '';
  } catch {
    return '';
  }
}

/** applyTheme sets <html data-theme>, which the style sheet's variables follow. */
export function applyTheme(t: Theme): void {
  if (t) document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
}

function systemDark(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function ThemeToggle() {
  const [t, setT] = useState<Theme>(savedTheme());
  // Follow the system's preference when it changes (the icon shows the current mode).
  const [, setSys] = useState(0);
  useEffect(() => {
    if (typeof window.matchMedia !== 'function') return;
    const m = window.matchMedia('(prefers-color-scheme: dark)');
    const on = () => setSys((n) => n + 1);
    m.addEventListener?.('change', on);
    return () => m.removeEventListener?.('change', on);
  }, []);
  const dark = t ? t === 'dark' : systemDark();
  return (
    <button
      type="button"
      className="theme"
      aria-label={dark ? 'switch to light mode' : 'switch to dark mode'}
      title={dark ? 'Light mode' : 'Dark mode'}
      onClick={() => {
        const next: Theme = dark ? 'light' : 'dark';
        // Choosing what the system prefers anyway forgets the choice.
        const keep: Theme = (next === 'dark') === systemDark() ? '' : next;
        try {
          if (keep) localStorage.setItem(themeKey, keep);
          else localStorage.removeItem(themeKey);
        } catch {
          /* private mode: for this page only */
        }
        applyTheme(next);
        setT(next);
      }}
    >
      {dark ? '☀' : '☾'}
    </button>
  );
}
