// GET /api/v1/query: a search followed by pipes answers a table (its
// columns, rows in the columns' order, how long the engine took).
import { get } from './client';

export type QueryColumnType = 'number' | 'string' | 'time' | 'bool';

export interface QueryColumn {
  name: string;
  type: QueryColumnType;
}

export type QueryValue = number | string | boolean | null;

/** The table GET /api/v1/query answers for a query with pipes ("time" values in RFC 3339). */
export interface QueryAnswer {
  columns: QueryColumn[];
  rows: QueryValue[][];
  took_ms: number;
  /** Set when a pipe aggregates (stats, timechart, top, rare). */
  aggregate?: boolean;
  /** "line" for timechart and stats … by bin(), "bar" for other aggregates. */
  chart?: '' | 'line' | 'bar';
  truncated?: boolean;
  /** The range answered, RFC 3339. */
  from?: string;
  to?: string;
}

/** The detail of a 400 for a query that does not parse or compile. */
export interface QueryErrorDetail {
  q: string;
  pipe: number; // 1-based; 0: the search before the first '|'
  name?: string;
  column?: number; // 1-based character column in q
}

export function runQuery(q: string, from: string, to: string, signal?: AbortSignal): Promise<QueryAnswer> {
  return get<QueryAnswer>('/api/v1/query', { q, from, to }, signal).then((a) => ({ ...a, columns: a.columns || [], rows: a.rows || [] }));
}
