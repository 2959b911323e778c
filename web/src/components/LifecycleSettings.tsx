// LifecycleSettings: the project's data lifecycle settings — what is
// scrubbed at ingest (privacy), how long each kind is kept (retention)
// and what share of noisy events is kept (sampling) — read from and saved
// to GET/PUT /api/v1/settings/{name}. Anyone who can read the project
// sees them; only a project admin may save (the server answers 403 to the
// others, and the form says so before they try).
import { useEffect, useState } from 'react';
import { ApiError, get, me as loadMe, putSettings } from '../api';
import type { PrivacySettings, RetentionSettings, SamplingSettings } from '../api';
import { ErrorMessage, Loading } from './common';

/** lines splits a textarea's list (one per line or comma-separated). */
export function lines(s: string): string[] {
  return s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

function useSettings<T>(name: string): [T | undefined, (v: T) => void, string, boolean] {
  const [v, setV] = useState<T>();
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    const ac = new AbortController();
    get<T>(`/api/v1/settings/${name}`, undefined, ac.signal).then(
      (x) => {
        setV(x);
        setLoading(false);
      },
      (e) => {
        if (!ac.signal.aborted) {
          setError(e instanceof ApiError ? e.message : String(e));
          setLoading(false);
        }
      },
    );
    return () => ac.abort();
  }, [name]);
  return [v, setV, error, loading];
}

function SaveRow<T>({ name, value, admin, onSaved }: { name: string; value: T; admin: boolean; onSaved: (v: T) => void }) {
  const [state, setState] = useState('');
  const [error, setError] = useState('');
  return (
    <div className="lc-save">
      <button
        type="button"
        disabled={!admin || state === 'saving'}
        title={admin ? '' : 'Only a project admin may change this'}
        onClick={() => {
          setState('saving');
          setError('');
          putSettings(name, value).then(
            (v) => {
              onSaved(v);
              setState('saved');
            },
            (e) => {
              setError(e instanceof ApiError ? e.message : String(e));
              setState('');
            },
          );
        }}
      >
        Save {name}
      </button>
      {state === 'saved' && <span className="muted small"> saved; applies to events received from now on</span>}
      <ErrorMessage error={error} />
    </div>
  );
}

function NumberField({ label, value, step, min, max, disabled, onChange, help }: { label: string; value: number; step?: number; min?: number; max?: number; disabled: boolean; onChange: (n: number) => void; help?: string }) {
  return (
    <label className="lc-field">
      <span>{label}</span>
      <input type="number" value={value} step={step} min={min} max={max} disabled={disabled} onChange={(e) => onChange(Number(e.target.value))} />
      {help && <span className="muted small">{help}</span>}
    </label>
  );
}

export function LifecycleSettings() {
  const [admin, setAdmin] = useState(false);
  useEffect(() => {
    loadMe().then(
      (m) => setAdmin(m.role === 'admin'),
      () => setAdmin(false),
    );
  }, []);
  const [ret, setRet, retErr, retLoading] = useSettings<RetentionSettings>('retention');
  const [smp, setSmp, smpErr, smpLoading] = useSettings<SamplingSettings>('sampling');
  const [prv, setPrv, prvErr, prvLoading] = useSettings<PrivacySettings>('privacy');
  const ro = !admin;
  return (
    <section className="lc-settings" aria-label="Data lifecycle">
      <h3>Data lifecycle</h3>
      {ro && <p className="muted">Only a project admin may change these settings; you can read them.</p>}
      <div className="lc-grid">
        <div>
          <h4>Retention (days)</h4>
          <ErrorMessage error={retErr} />
          <Loading on={retLoading} />
          {ret && (
            <>
              <NumberField label="logs" value={ret.logs_days} min={1} disabled={ro} onChange={(n) => setRet({ ...ret, logs_days: n })} />
              <NumberField label="spans" value={ret.spans_days} min={1} disabled={ro} onChange={(n) => setRet({ ...ret, spans_days: n })} />
              <NumberField label="errors" value={ret.errors_days} min={1} disabled={ro} onChange={(n) => setRet({ ...ret, errors_days: n })} />
              <NumberField label="product events" value={ret.events_days} min={1} disabled={ro} onChange={(n) => setRet({ ...ret, events_days: n })} />
              <NumberField label="checks" value={ret.checks_days} min={1} disabled={ro} onChange={(n) => setRet({ ...ret, checks_days: n })} />
              <NumberField
                label="recordings"
                value={ret.replays_days}
                min={0}
                disabled={ro}
                onChange={(n) => setRet({ ...ret, replays_days: n })}
                help="0: the server's --replay-retention"
              />
              <SaveRow name="retention" value={ret} admin={admin} onSaved={setRet} />
            </>
          )}
        </div>
        <div>
          <h4>Sampling (share kept, 0 keeps all)</h4>
          <ErrorMessage error={smpErr} />
          <Loading on={smpLoading} />
          {smp && (
            <>
              <NumberField label="debug logs" value={smp.debug_logs} step={0.05} min={0} max={1} disabled={ro} onChange={(n) => setSmp({ ...smp, debug_logs: n })} />
              <NumberField label="info logs" value={smp.info_logs} step={0.05} min={0} max={1} disabled={ro} onChange={(n) => setSmp({ ...smp, info_logs: n })} />
              <NumberField
                label="traces"
                value={smp.traces}
                step={0.05}
                min={0}
                max={1}
                disabled={ro}
                onChange={(n) => setSmp({ ...smp, traces: n })}
                help="whole traces; failed ones always kept"
              />
              <p className="muted small">Warnings, errors, product events and checks are always kept; kept events carry lore.sample_rate.</p>
              <SaveRow name="sampling" value={smp} admin={admin} onSaved={setSmp} />
            </>
          )}
        </div>
        <div>
          <h4>Privacy (scrubbed before anything is stored)</h4>
          <ErrorMessage error={prvErr} />
          <Loading on={prvLoading} />
          {prv && (
            <>
              <label className="lc-check">
                <input type="checkbox" checked={!prv.disabled} disabled={ro} onChange={(e) => setPrv({ ...prv, disabled: !e.target.checked })} /> scrub secrets (passwords, tokens,
                keys, cookies, card numbers)
              </label>
              <label className="lc-check">
                <input type="checkbox" checked={prv.emails} disabled={ro} onChange={(e) => setPrv({ ...prv, emails: e.target.checked })} /> scrub e-mail addresses
              </label>
              <label className="lc-check">
                <input type="checkbox" checked={prv.keep_card_numbers} disabled={ro} onChange={(e) => setPrv({ ...prv, keep_card_numbers: e.target.checked })} /> keep card numbers
              </label>
              <label className="lc-field">
                <span>IP addresses</span>
                <select value={prv.ip_addresses || 'keep'} disabled={ro} onChange={(e) => setPrv({ ...prv, ip_addresses: e.target.value })}>
                  <option value="keep">keep</option>
                  <option value="truncate">truncate (/24, /48)</option>
                  <option value="drop">drop</option>
                </select>
              </label>
              {(['deny_fields', 'allow_fields', 'patterns'] as const).map((k) => (
                <label className="lc-field" key={k}>
                  <span>{k.replace('_', ' ')}</span>
                  <textarea
                    rows={2}
                    disabled={ro}
                    defaultValue={(prv[k] || []).join('\n')}
                    onBlur={(e) => setPrv({ ...prv, [k]: lines(e.target.value) })}
                    placeholder={{ deny_fields: 'ssn', allow_fields: 'input_token', patterns: 'EMP-\\d{6}' }[k]}
                  />
                </label>
              ))}
              <SaveRow name="privacy" value={prv} admin={admin} onSaved={setPrv} />
            </>
          )}
        </div>
      </div>
    </section>
  );
}
