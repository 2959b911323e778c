// The tabs of the product analyses: each is its own page
// (#/product, #/product/retention, …), keeping the time range.
import type { ReactNode } from 'react';
import { href, keep, type Route } from '../route';

const tabs: [string, string][] = [
  ['', 'Funnel'],
  ['retention', 'Retention'],
  ['paths', 'Paths'],
  ['trends', 'Trends'],
  ['web', 'Web analytics'],
];

export function ProductTabs({ r, children }: { r: Route; children: ReactNode }) {
  const tab = r.path[1] || '';
  return (
    <div className="product">
      <nav className="tabs" aria-label="product analyses">
        {tabs.map(([t, label]) => (
          <a key={t} href={href(t ? ['product', t] : ['product'], keep(r))} className={tab === t ? 'active' : ''} aria-current={tab === t ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {children}
    </div>
  );
}

