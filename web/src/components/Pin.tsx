// "Pin to dashboard": adds the chart in view to an existing dashboard or a
// new one, and "Save search" keeps the Explore query by name.
import { useState } from 'react';
import { ApiError } from '../api';
import { listDashboards, pin, saveSearch, type Dashboard, type Panel } from '../dashboards';
import { href } from '../route';
import './pin.css';

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

export function PinButton({ panel, label = 'Pin to dashboard' }: { panel: Panel; label?: string }) {
  const [open, setOpen] = useState(false);
  const [boards, setBoards] = useState<Dashboard[]>([]);
  const [target, setTarget] = useState('new');
  const [name, setName] = useState('');
  const [title, setTitle] = useState(panel.title);
  const [done, setDone] = useState<Dashboard | undefined>();
  const [error, setError] = useState('');
  const show = async () => {
    setOpen(true);
    setDone(undefined);
    setError('');
    setTitle(panel.title);
    try {
      const ds = await listDashboards();
      setBoards(ds);
      if (ds.length) setTarget(String(ds[0].id));
    } catch (e) {
      setError(message(e));
    }
  };
  if (!open) {
    return (
      <button type="button" className="plain pin" onClick={show}>
        + {label}
      </button>
    );
  }
  return (
    <form
      className="pin-form"
      aria-label="pin to dashboard"
      onSubmit={async (e) => {
        e.preventDefault();
        setError('');
        try {
          const p = { ...panel, title: title.trim() || panel.title };
          setDone(await pin(p, target === 'new' ? { name: name || 'My dashboard' } : { id: Number(target) }));
        } catch (err) {
          setError(message(err));
        }
      }}
    >
      {done ? (
        <span role="status">
          Pinned to <a href={href(['dashboards', String(done.id)])}>{done.name}</a>.
        </span>
      ) : (
        <>
          <input aria-label="panel title" value={title} onChange={(e) => setTitle(e.target.value)} />
          <select aria-label="dashboard" value={target} onChange={(e) => setTarget(e.target.value)}>
            {boards.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name}
              </option>
            ))}
            <option value="new">new dashboard…</option>
          </select>
          {target === 'new' && <input aria-label="new dashboard name" placeholder="dashboard name" value={name} onChange={(e) => setName(e.target.value)} />}
          <button type="submit">Pin</button>
        </>
      )}
      <button type="button" className="plain" onClick={() => setOpen(false)} aria-label="close">
        ×
      </button>
      {error && (
        <span className="pin-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

export function SaveSearchButton({ query, from, to }: { query: string; from: string; to: string }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [state, setState] = useState('');
  if (!open) {
    return (
      <button type="button" className="plain pin" onClick={() => (setOpen(true), setState(''), setName(query))}>
        ☆ Save search
      </button>
    );
  }
  return (
    <form
      className="pin-form"
      aria-label="save search"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          const s = await saveSearch({ name: name.trim() || query, query, from, to: to === 'now' ? undefined : to });
          setState(`Saved “${s.name}”.`);
        } catch (err) {
          setState(message(err));
        }
      }}
    >
      {state ? (
        <span role="status">
          {state} <a href="#/dashboards">See saved searches.</a>
        </span>
      ) : (
        <>
          <input aria-label="search name" placeholder="name" value={name} onChange={(e) => setName(e.target.value)} />
          <button type="submit">Save</button>
        </>
      )}
      <button type="button" className="plain" onClick={() => setOpen(false)} aria-label="close">
        ×
      </button>
    </form>
  );
}
