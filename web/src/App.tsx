// The app shell: navigation, the read-key prompt and the time range; the
// page below is chosen by the URL's hash.
import { useState } from 'react';
import { readKey, setReadKey } from './api';
import { KeyHelp, useKeys } from './components/Keys';
import { ThemeToggle } from './components/Theme';
import { TimeRange } from './components/TimeRange';
import { Explore } from './pages/Explore';
import { Incident } from './pages/Incident';
import { Issue } from './pages/Issue';
import { Issues } from './pages/Issues';
import { Journey } from './pages/Journey';
import { Overview } from './pages/Overview';
import { Patterns } from './pages/Patterns';
import { Funnel } from './pages/Funnel';
import { Paths } from './pages/Paths';
import { Retention } from './pages/Retention';
import { Trends } from './pages/Trends';
import { WebStats } from './pages/WebStats';
import { ProductTabs } from './components/ProductTabs';
import { Services } from './pages/Services';
import { Dashboards } from './pages/Dashboards';
import { Fields } from './pages/Fields';
import { Settings } from './pages/Settings';
import { Monitors } from './pages/Monitors';
import { Status } from './pages/Status';
import { href, keep, useRoute, type Route } from './route';
import { useZone } from './time';

const pages: [string, string][] = [
  ['overview', 'Overview'],
  ['explore', 'Explore'],
  ['issues', 'Issues'],
  ['product', 'Product'],
  ['incident', 'Incident'],
  ['patterns', 'Patterns'],
  ['services', 'Services'],
  ['monitors', 'Monitors'],
  ['status', 'Status'],
  ['dashboards', 'Dashboards'],
  ['fields', 'Fields'],
  ['settings', 'Settings'],
];

/** takeKey moves a key passed as "#key=…" (the demo's link) into localStorage. */
export function takeKey(): boolean {
  const m = location.hash.match(/^#key=([^&]+)/);
  if (!m) return false;
  setReadKey(decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search + '#/overview');
  return true;
}

function KeyPrompt() {
  const [key, setKey] = useState(readKey());
  const [saved, setSaved] = useState(readKey() !== '');
  return (
    <form
      className={`key ${saved ? '' : 'missing'}`}
      onSubmit={(e) => {
        e.preventDefault();
        setReadKey(key);
        setSaved(true);
        location.reload();
      }}
    >
      <input
        aria-label="read key"
        type="password"
        placeholder="read key"
        value={key}
        onChange={(e) => {
          setKey(e.target.value);
          setSaved(false);
        }}
        title="A read key of your project, printed by lore serve or lore demo"
      />
      {!saved && <button type="submit">Save key</button>}
    </form>
  );
}

function Page({ r }: { r: Route }) {
  switch (r.path[0] || 'overview') {
    case 'overview':
      return <Overview r={r} />;
    case 'explore':
      return <Explore r={r} />;
    case 'journey':
      return <Journey r={r} />;
    case 'issues':
      return r.path[1] ? <Issue key={r.path[1]} r={r} id={r.path[1]} /> : <Issues r={r} />;
    case 'product':
      return (
        <ProductTabs r={r}>
          {r.path[1] === 'retention' ? <Retention r={r} /> : r.path[1] === 'paths' ? <Paths r={r} /> : r.path[1] === 'trends' ? <Trends r={r} /> : r.path[1] === 'web' ? <WebStats r={r} /> : <Funnel r={r} />}
        </ProductTabs>
      );
    case 'patterns':
      return <Patterns r={r} />;
    case 'services':
      return <Services r={r} />;
    case 'incident':
      return <Incident r={r} />;
    case 'monitors':
      return <Monitors r={r} />;
    case 'status':
      return <Status r={r} />;
    case 'dashboards':
      return <Dashboards r={r} />;
    case 'fields':
      return <Fields r={r} />;
    case 'settings':
      return <Settings />;
    default:
      return (
        <div className="empty">
          No page {r.path.join('/')}. <a href="#/overview">Go to the overview.</a>
        </div>
      );
  }
}

export function App() {
  const r = useRoute();
  const current = r.path[0] || 'overview';
  const [help, setHelp] = useKeys();
  // Every time on the page follows the zone setting: a change redraws the page.
  const zone = useZone();
  return (
    <>
      <header className="top">
        <a className="brand" href="#/overview">
          Lore
        </a>
        <nav>
          {pages.map(([p, label]) => (
            <a key={p} href={href([p], keep(r))} className={current === p ? 'active' : ''} aria-current={current === p ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span className="grow" />
        <TimeRange r={r} />
        <KeyPrompt key={readKey()} />
        <ThemeToggle />
      </header>
      <main key={zone}>
        {readKey() ? (
          <Page r={r} />
        ) : (
          <div className="msg">
            Paste a read key (printed by <code>lore serve</code> or <code>lore demo</code>) at the top right to read your project.
          </div>
        )}
      </main>
      {help && <KeyHelp onClose={() => setHelp(false)} />}
    </>
  );
}
