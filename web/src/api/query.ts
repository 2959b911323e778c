// GET /api/v1/query: a search followed by pipes answers a table (its
// columns, rows in the columns' order, how long the engine took).
import { get } from './client';
import type { TableResponse } from './types.gen';

export type QueryColumnType = 'number' | 'string' | 'time' | 'bool';

export interface QueryColumn {
  name: string;
  type: QueryColumnType;
  /** a count estimated before sampling (kept events weighted by 1/lore.sample_rate) */
  estimated?: boolean;
  /** a percentile or uniq computed in bounded memory (t-digest, hashes, HyperLogLog): the exact answer needed more than --store-memory */
  approximate?: boolean;
}

export type QueryValue = number | string | boolean | null;

// The fields the UI reads more narrowly than the generated TableResponse
// (Pick fails to compile when the Go struct renames one of them).
type Narrowed = keyof Pick<TableResponse, 'columns' | 'rows' | 'chart' | 'aggregate' | 'from' | 'to'>;

/**
 * The table GET /api/v1/query answers for a query with pipes ("time" values
 * in RFC 3339): the generated TableResponse with its columns' types, its
 * cells and its chart narrowed. aggregate is set when a pipe aggregates
 * (stats, timechart, top, rare); chart is "line" for timechart and stats …
 * by bin(), "bar" for other aggregates; from and to are the range answered.
 */
export type QueryAnswer = Omit<TableResponse, Narrowed> &
  Partial<Pick<TableResponse, 'aggregate' | 'from' | 'to'>> & {
    columns: QueryColumn[];
    rows: QueryValue[][];
    chart?: '' | 'line' | 'bar';
  };

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
