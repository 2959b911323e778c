// The app shell: signing in, navigation, the account and project, and the
// time range; the page below is chosen by the URL's hash.
import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import { ApiError, logout, me as loadMe, project, setProject, type Me } from './api';
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
import { Access } from './pages/Access';
import { Account as AccountPage } from './pages/Account';
import { Login } from './pages/Login';
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

/** Account shows who is signed in, the project (a choice when there are several) and signing out. */
function Account({ me }: { me: Me }) {
  const projects = me.projects || [];
  return (
    <span className="account">
      {projects.length > 1 ? (
        <select
          aria-label="project"
          value={me.project}
          onChange={(e) => {
            setProject(e.target.value);
            location.reload();
          }}
        >
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.role})
            </option>
          ))}
        </select>
      ) : null}
      {me.user ? (
        <a className="who" href="#/account" title={`${projects[0]?.name || ''} · role in this project: ${me.role} · your account`}>
          {me.user.email} <span className="muted small">{me.role}</span>
        </a>
      ) : (
        <span className="who" title={`${projects[0]?.name || ''} · role in this project: ${me.role}`}>
          key {me.key_id} <span className="muted small">{me.role}</span>
        </span>
      )}
      {me.user && (
        <button
          type="button"
          className="signout"
          onClick={() =>
            logout().finally(() => {
              location.hash = '#/login';
              location.reload();
            })
          }
        >
          Sign out
        </button>
      )}
    </span>
  );
}

function Page({ r, me }: { r: Route; me: Me }) {
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
      return <Settings me={me} />;
    case 'access':
      return <Access me={me} />;
    case 'account':
      return <AccountPage me={me} />;
    default:
      return (
        <div className="empty">
          No page {r.path.join('/')}. <a href="#/overview">Go to the overview.</a>
        </div>
      );
  }
}

/**
 * useRows says whether the header needs two rows: it is one row when all of
 * it fits the window, else the brand, time range and account make the first
 * row and the page links the second (wrapping again on a narrow window), so
 * every link stays in sight. It keeps --header-h, the header's height, for
 * what sticks below it. shown says the header is on the page.
 */
function useRows(ref: RefObject<HTMLElement | null>, shown: boolean): boolean {
  const [two, setTwo] = useState(false);
  useLayoutEffect(() => {
    const h = ref.current;
    if (!h || typeof ResizeObserver === 'undefined') return;
    const measure = () => {
      const nav = h.querySelector(':scope > nav');
      if (!nav) return;
      const width = (el: Element) => el.getBoundingClientRect().width;
      const gap = (el: Element) => parseFloat(getComputedStyle(el).columnGap) || 0;
      const cs = getComputedStyle(h);
      const kids = [...h.children];
      const links = [...nav.children];
      // The widths in one row: the links at their own width, the rest but the spacer, the gaps and padding.
      const need =
        links.reduce((w, a) => w + width(a), 0) +
        gap(nav) * Math.max(0, links.length - 1) +
        kids.filter((k) => k !== nav && !k.classList.contains('grow')).reduce((w, k) => w + width(k), 0) +
        gap(h) * (kids.length - 1) +
        parseFloat(cs.paddingLeft) +
        parseFloat(cs.paddingRight);
      setTwo(Math.ceil(need) > h.clientWidth);
      document.documentElement.style.setProperty('--header-h', `${h.offsetHeight}px`);
    };
    measure();
    // The header (the window), its parts and each link (a font loading late widens them).
    const ro = new ResizeObserver(measure);
    ro.observe(h);
    for (const k of h.children) ro.observe(k);
    for (const a of h.querySelectorAll(':scope > nav > a')) ro.observe(a);
    return () => ro.disconnect();
  }, [ref, shown]);
  return two;
}

/** useMe loads who the browser is signed in as; null when nobody is. */
function useMe(): [Me | null | undefined, string, () => void] {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState('');
  const [n, setN] = useState(0);
  useEffect(() => {
    loadMe().then(
      (m) => {
        setMe(m.signed_in ? m : null);
        setError('');
      },
      (e) => {
        if (e instanceof ApiError && e.status === 404 && project()) {
          // The project chosen is gone (or this user left it): the user's first.
          setProject('');
          setN((x) => x + 1);
        } else if (e instanceof ApiError && (e.status === 401 || e.status === 404)) setMe(null);
        else setError(e instanceof ApiError ? e.message : String(e));
      },
    );
  }, [n]);
  return [me, error, () => setN((x) => x + 1)];
}

export function App() {
  const r = useRoute();
  const current = r.path[0] || 'overview';
  const [me, meError, reloadMe] = useMe();
  const [help, setHelp] = useKeys();
  // Every time on the page follows the zone setting: a change redraws the page.
  const zone = useZone();
  const header = useRef<HTMLElement>(null);
  const rows = useRows(header, !!me && current !== 'login');
  if (current === 'login' || me === null) {
    return (
      <Login
        r={r}
        onSignedIn={() => {
          reloadMe();
          location.hash = '#/overview';
        }}
      />
    );
  }
  if (me === undefined) return <div className="msg">{meError || 'Loading…'}</div>;
  const shown = me.can.admin ? [...pages, ['access', 'Access'] as [string, string]] : pages;
  return (
    <>
      <header className={rows ? 'top rows' : 'top'} ref={header}>
        <a className="brand" href="#/overview">
          Lore
        </a>
        <nav>
          {shown.map(([p, label]) => (
            <a key={p} href={href([p], keep(r))} className={current === p ? 'active' : ''} aria-current={current === p ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span className="grow" />
        <TimeRange r={r} />
        <Account me={me} />
        <ThemeToggle />
      </header>
      <main key={zone} data-route={r.hash}>
        <Page r={r} me={me} />
      </main>
      {help && <KeyHelp onClose={() => setHelp(false)} />}
    </>
  );
}
