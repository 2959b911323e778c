// The search bar's input with autocomplete: while a field name is typed it
// offers the known event fields, their aliases and the attribute keys seen
// in the results; after "field:" it offers that field's most frequent
// values in the time range (the facets endpoint). After a '|' it offers
// pipe names, aggregates and functions, and the fields of the catalogue
// (GET /api/v1/fields). Arrow keys move, Enter or Tab takes a suggestion,
// Escape closes the list.
import { useEffect, useRef, useState } from 'react';
import { get, type Dictionary, type Facets } from '../api';
import { term } from '../util';
import { applyPipe, pipeSuggestions, pipeTokenAt, type PipeSuggestion } from './pipes';

export const eventFields = [
  'kind', 'level', 'service', 'env', 'release', 'host', 'trace_id', 'span_id', 'parent_span_id', 'user_id', 'anonymous_id',
  'session_id', 'request_id', 'name', 'message', 'http_method', 'endpoint', 'http_status', 'duration_ms', 'error_type',
  'error_code', 'fingerprint', 'retry_attempt',
];

export const aliases: Record<string, string> = {
  status: 'http_status', method: 'http_method', path: 'endpoint', route: 'endpoint', msg: 'message', svc: 'service', user: 'user_id',
  session: 'session_id', trace: 'trace_id', environment: 'env', type: 'error_type', retry: 'retry_attempt', duration: 'duration_ms',
};

// Fields whose values are ids or numbers: suggesting their top values helps little.
const noValues = new Set(['trace_id', 'span_id', 'parent_span_id', 'request_id', 'duration_ms', 'message', 'fingerprint']);

export interface Token {
  start: number; // where the token starts in the text (after a leading "-")
  end: number;
  field?: string; // set once "field:" is typed
  prefix: string; // what is typed of the field name or of the value
}

/** tokenAt finds the search term the caret is in. */
export function tokenAt(text: string, caret: number): Token | undefined {
  // Inside an open phrase nothing is suggested.
  if ((text.slice(0, caret).match(/"/g) || []).length % 2 === 1 && !/:"[^"\s]*$/.test(text.slice(0, caret))) return undefined;
  let s = caret;
  while (s > 0 && !/\s|\(/.test(text[s - 1])) s--;
  let e = caret;
  while (e < text.length && !/\s|\)/.test(text[e])) e++;
  if (text[s] === '-') s++;
  const tok = text.slice(s, caret);
  if (tok.startsWith('"')) return undefined;
  const colon = tok.indexOf(':');
  if (colon < 0) return /^[@\w.$-]*$/.test(tok) ? { start: s, end: e, prefix: tok } : undefined;
  const field = tok.slice(0, colon);
  const value = tok.slice(colon + 1).replace(/^[<>=]+/, '').replace(/^"/, '');
  if (!field) return undefined;
  return { start: s, end: e, field, prefix: value };
}

export interface Suggestion {
  text: string; // what replaces the token
  label: string;
  hint?: string;
}

/** fieldSuggestions lists the field names starting with (then containing) the prefix. */
export function fieldSuggestions(prefix: string, attrKeys: string[]): Suggestion[] {
  const p = prefix.toLowerCase().replace(/^@/, '');
  const out: Suggestion[] = [];
  const seen = new Set<string>();
  const add = (name: string, hint: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    out.push({ text: name + ':', label: name, hint });
  };
  const all: [string, string][] = [
    ...eventFields.map((f): [string, string] => [f, 'field']),
    ...Object.entries(aliases).map(([a, f]): [string, string] => [a, '→ ' + f]),
    ...attrKeys.map((k): [string, string] => [k, 'attribute']),
  ];
  for (const [n, h] of all) if (n.toLowerCase().startsWith(p)) add(n, h);
  if (p) for (const [n, h] of all) if (n.toLowerCase().includes(p)) add(n, h);
  return out.slice(0, 12);
}

/** apply puts a suggestion in place of the token; values end with a space. */
export function apply(text: string, t: Token, s: Suggestion): { text: string; caret: number } {
  const before = text.slice(0, t.start);
  const after = text.slice(t.end);
  const tail = s.text.endsWith(':') ? '' : after.startsWith(' ') ? '' : ' ';
  const out = before + s.text + tail + after;
  return { text: out, caret: (before + s.text + tail).length };
}

export function SearchInput({
  value,
  onChange,
  from,
  to,
  attrKeys,
  placeholder,
}: {
  value: string;
  onChange: (v: string) => void;
  from: string;
  to: string;
  attrKeys: string[];
  placeholder?: string;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [caret, setCaret] = useState(-1);
  const [open, setOpen] = useState(false);
  const [on, setOn] = useState(-1);
  const [values, setValues] = useState<{ field: string; list: Facets['values'] } | undefined>();
  // A value set from outside (a link, the page's own query) closes the list until the next keystroke.
  const typed = useRef(value);
  useEffect(() => {
    if (value === typed.current) return;
    typed.current = value;
    setOpen(false);
    setCaret(-1);
  }, [value]);
  const ptok = caret >= 0 ? pipeTokenAt(value, caret) : undefined;
  const tok = caret >= 0 && !ptok ? tokenAt(value, caret) : undefined;
  const field = tok?.field ? aliases[tok.field.toLowerCase()] || tok.field.replace(/^@/, '') : undefined;
  const catalogue = useCatalogue(!!ptok && open, from, to);

  useEffect(() => {
    if (!field || noValues.has(field) || !open) return;
    if (values?.field === field) return;
    let live = true;
    const ctl = new AbortController();
    const t = setTimeout(() => {
      get<Facets>('/api/v1/facets', { field, from, to, limit: 50 }, ctl.signal).then(
        (f) => live && setValues({ field, list: f.values }),
        () => live && setValues({ field, list: [] }),
      );
    }, 120);
    return () => {
      live = false;
      ctl.abort();
      clearTimeout(t);
    };
  }, [field, from, to, open, values?.field]);
  useEffect(() => setValues(undefined), [from, to]);

  let sugg: (Suggestion | PipeSuggestion)[] = [];
  if (ptok && open) {
    sugg = pipeSuggestions(ptok, [...eventFields, ...catalogue, ...attrKeys]);
  } else if (tok && open) {
    if (!tok.field) {
      sugg = tok.prefix || value.trim() === '' ? fieldSuggestions(tok.prefix, attrKeys) : [];
    } else if (field && values?.field === field) {
      const p = tok.prefix.toLowerCase();
      const vs = (values.list || []).filter((v) => v.value !== '' && v.value.toLowerCase().includes(p));
      vs.sort((a, b) => Number(b.value.toLowerCase().startsWith(p)) - Number(a.value.toLowerCase().startsWith(p)));
      sugg = vs.slice(0, 12).map((v) => ({ text: term(tok.field!, v.value), label: v.value, hint: String(v.count) }));
    }
  }
  const show = sugg.length > 0;

  const take = (s: Suggestion) => {
    const r = ptok ? applyPipe(value, ptok, s) : tok ? apply(value, tok, s) : undefined;
    if (!r) return;
    typed.current = r.text;
    onChange(r.text);
    setOn(-1);
    setCaret(r.caret);
    requestAnimationFrame(() => {
      input.current?.setSelectionRange(r.caret, r.caret);
      input.current?.focus();
    });
  };

  return (
    <>
      <input
        ref={input}
        aria-label="search"
        name="q"
        role="combobox"
        aria-expanded={show}
        aria-controls="suggest"
        aria-autocomplete="list"
        value={value}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => {
          typed.current = e.target.value;
          onChange(e.target.value);
          setCaret(e.target.selectionStart ?? e.target.value.length);
          setOpen(true);
          setOn(-1);
        }}
        onFocus={(e) => {
          setCaret(e.target.selectionStart ?? value.length);
          setOpen(true);
        }}
        onClick={(e) => setCaret((e.target as HTMLInputElement).selectionStart ?? value.length)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (!show) return;
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOn((i) => (i + 1) % sugg.length);
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setOn((i) => (i <= 0 ? sugg.length - 1 : i - 1));
          } else if ((e.key === 'Enter' && on >= 0) || (e.key === 'Tab' && !e.shiftKey)) {
            e.preventDefault();
            take(sugg[Math.max(0, on)]);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            setOpen(false);
          }
        }}
      />
      {show && (
        <ul className="suggest" id="suggest" role="listbox">
          {sugg.map((s, i) => (
            <li
              key={s.text}
              role="option"
              aria-selected={i === on}
              className={i === on ? 'on' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                take(s);
              }}
            >
              <span>{s.label}</span>
              {s.hint && <span className="hint">{s.hint}</span>}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** useCatalogue loads the field catalogue's names once it is wanted (a '|' is typed), once per range. */
function useCatalogue(want: boolean, from: string, to: string): string[] {
  const [names, setNames] = useState<{ key: string; list: string[] } | undefined>();
  const key = from + '\u0000' + to;
  useEffect(() => {
    if (!want || names?.key === key) return;
    const ctl = new AbortController();
    get<Dictionary>('/api/v1/fields', { from, to }, ctl.signal).then(
      (d) => setNames({ key, list: (d.fields || []).map((f) => f.name) }),
      () => ctl.signal.aborted || setNames({ key, list: [] }),
    );
    return () => ctl.abort();
  }, [want, key, names?.key, from, to]);
  return names?.list || [];
}
