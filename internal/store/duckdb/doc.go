// Package duckdb implements store.Store on an embedded DuckDB database file
// (dir/events.duckdb and its .wal).
//
// # Layout
//
// One wide table, events, holds every event with the column names the query
// compiler (dialect.go) relies on. Trace ids are two UBIGINT halves and span
// ids one UBIGINT (0 when absent), free attributes two parallel VARCHAR
// lists, strings ” when absent and the optional numbers NULL when zero.
// Rows are appended in time order: every batch is sorted by ts before it is
// loaded, so DuckDB's per-row-group min/max statistics on ts prune every
// time-ranged query.
//
// # Appending
//
// Append loads the sorted batch through DuckDB's Appender on one connection
// inside an explicit transaction, together with the batch's side-index
// blocks, new anonymous→user pairs and the new ingest_state.seq, so LastSeq
// is exactly the last batch whose rows are visible; a refused or failed
// batch rolls back whole. A spooled NDJSON file loaded with read_ndjson was
// measured too (BenchmarkAppend's predecessor, 50k-event batches): on this
// machine it was 1.6–1.9x slower than the Appender, as DuckDB's JSON parse
// of the wide rows cost more than the Appender's per-value calls, besides
// writing and reading the spool file. The checkpoint threshold is raised
// (Options.CheckpointThreshold) because DuckDB's 16MB default checkpoints
// after almost every batch.
//
// # Side indexes
//
// DuckDB's zone maps cannot prune random ids or words, so lookups by trace,
// user or session and needle searches would scan the whole table. Append
// therefore cuts each batch into blocks (one project, at most blockRows rows
// and blockSpan of time) and stores, per block, its [min_ts, max_ts] and two
// Bloom filters:
//
//   - keys: the block's trace ids, user ids, session ids and anonymous ids
//     (about 0.15% false positives), used by Journey;
//   - grams: every 4-byte window of the lower-cased messages. A query's
//     Words are substrings, so a block can only contain a match if it holds
//     every 4-gram of every word; a word shorter than 4 bytes prunes
//     nothing. The filter is small and fairly dense, but a needle of n bytes
//     must hit n-3 grams, so false positives fall geometrically with length.
//
// The filters of all blocks are kept in memory (a few bytes per event) and
// in the blocks table, from which Open reloads them. A journey or a needle
// search tests the filters of the blocks overlapping the request's range and
// then scans only the time ranges of the surviving blocks, one UNION ALL
// branch per merged range, so its cost follows the number of matching
// blocks, not the size of the table. The idents table keeps the distinct
// (anonymous_id, user_id) pairs, so a user journey also finds the events
// sent before the user identified.
//
// Search pages by (ts, rowid) descending; the cursor is the last row's pair.
package duckdb
