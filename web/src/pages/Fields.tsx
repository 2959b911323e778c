// Fields: the data dictionary — every field seen in the time range, its
// type, how many events carry it, its distinct values (approximate), a few
// examples, the services that send it, first and last seen, and badges for
// schema drift (appeared, disappeared, changed type). The filter is kept
// in the URL.
import { useEffect, useState } from 'react';
import { get, type Dictionary, type FieldInfo } from '../api';
import { ErrorMessage, Loading } from '../components/common';
import { Figures } from '../components/Figures';
import { aliases, eventFields } from '../components/SearchInput';
import { rangeOf } from '../components/TimeRange';
import { href, navigate, useFlag, withParams, type Route } from '../route';
import { fmtNum, fmtShort, useLoad } from '../util';
import './meta.css';

const badge: Record<string, string> = { appeared: 'new', disappeared: 'gone', type_changed: 'type changed' };

/** presentQuery searches for events that carry a field; an attribute named like a column or an alias is forced with "@". */
export function presentQuery(f: Pick<FieldInfo, 'name' | 'column'>): string {
  const name = f.name.includes(' ') ? `"${f.name}"` : f.name;
  const forced = !f.column && (name in aliases || eventFields.includes(name));
  return `${forced ? '@' : ''}${name}:*`;
}

/** matches says whether a field matches the filter text: its name, type, a service or an example. */
export function matches(f: FieldInfo, filter: string): boolean {
  const t = filter.trim().toLowerCase();
  if (!t) return true;
  return t.split(/\s+/).every(
    (w) =>
      f.name.toLowerCase().includes(w) ||
      f.type === w ||
      (f.services || []).some((s) => s.service.toLowerCase().includes(w)) ||
      (f.examples || []).some((e) => e.toLowerCase().includes(w)) ||
      (f.drift || []).some((d) => badge[d.kind] === w || d.kind === w),
  );
}

export function Fields({ r }: { r: Route }) {
  const { from, to } = rangeOf(r);
  const filter = r.params.get('filter') || '';
  const [onlyDrift, setOnlyDrift] = useFlag(r, 'drift');
  const [draft, setDraft] = useState(filter);
  useEffect(() => setDraft(filter), [filter]);
  const d = useLoad((signal) => get<Dictionary>('/api/v1/fields', { from, to }, signal), [from, to]);
  const shown = (d.data?.fields || []).filter((f) => matches(f, draft) && (!onlyDrift || (f.drift || []).length > 0));
  return (
    <div className="fields-page">
      <h2>Fields</h2>
      <p className="muted">
        The data dictionary: every field your events carried in this time range — the core columns first, then attributes — with its type, values and who
        sends it. Click a field to search for events that have it.
      </p>
      <form
        className="fields-filter"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(withParams(r, { filter: draft.trim() || undefined }));
        }}
      >
        <input
          aria-label="filter fields"
          placeholder="filter: name, type, service or value"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => navigate(withParams(r, { filter: draft.trim() || undefined }))}
        />
        <label>
          <input type="checkbox" checked={onlyDrift} onChange={(e) => setOnlyDrift(e.target.checked)} /> only fields with
          schema drift
        </label>
        {d.data && (
          <span className="muted">
            {shown.length} of {(d.data.fields || []).length} fields · {d.data.drift} with drift
          </span>
        )}
      </form>
      <ErrorMessage error={d.error} />
      <Loading on={d.loading && !d.data} />
      <Figures loads={[d]} label="fields">
        {d.data && !d.data.fields?.length && (
          <div className="empty">No field was seen in this time range. Widen the range, or send a first event (see Settings for the snippets).</div>
        )}
        {shown.length > 0 && (
          <table className="fields">
            <thead>
              <tr>
                <th>field</th>
                <th>type</th>
                <th className="n">events</th>
                <th className="n" title={d.data?.cardinality_method}>
                  distinct ≈
                </th>
                <th>examples</th>
                <th>services</th>
                <th>first seen</th>
                <th>last seen</th>
                <th>drift</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((f) => (
                <tr key={f.name} className={(f.drift || []).length ? 'drifted' : ''}>
                  <td>
                    <a className="fname" href={href(['explore'], { q: presentQuery(f), from, to: to === 'now' ? undefined : to })}>
                      {f.name}
                    </a>
                    {f.column && <span className="tagl">column</span>}
                  </td>
                  <td>
                    <span className={`ftype ftype-${f.type}`}>{f.type}</span>
                    {(f.types || []).length > 1 && <span className="muted"> +{(f.types || []).slice(1).map((t) => t.type).join(', ')}</span>}
                  </td>
                  <td className="n">{fmtNum(f.count)}</td>
                  <td className="n">{fmtNum(f.cardinality)}</td>
                  <td className="examples">
                    {(f.examples || []).slice(0, 3).map((e, i) => (
                      <code key={i} title={e}>
                        {e.length > 40 ? e.slice(0, 40) + '…' : e}
                      </code>
                    ))}
                  </td>
                  <td className="services">
                    {(f.services || []).slice(0, 3).map((s) => s.service).join(', ')}
                    {(f.services || []).length > 3 && <span className="muted"> +{(f.services || []).length - 3}</span>}
                  </td>
                  <td className="ts">{fmtShort(f.first_seen)}</td>
                  <td className="ts">{fmtShort(f.last_seen)}</td>
                  <td>
                    {(f.drift || []).map((x) => (
                      <span key={x.kind} className={`drift drift-${x.kind}`} title={x.note}>
                        {badge[x.kind] || x.kind}
                      </span>
                    ))}
                    {(f.drift || []).map((x) => (
                      <div key={x.kind} className="drift-note">
                        {x.note}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {d.data && <p className="muted small">Distinct values are {d.data.cardinality_method}.</p>}
      </Figures>
    </div>
  );
}
