// Package duckdb implements store.Store on an embedded DuckDB database file
// (dir/events.duckdb and its .wal). The reads of events (search, histogram,
// facets, journeys) are the query objects of internal/analysis/events run
// on it; the store adds the accelerators they look for (store.WordFilter,
// store.IDFilter, store.Slicer, store.ArchivedRows).
//
// # Layout
//
// One wide table, events, holds every event with the column names the query
// compiler (dialect.go) relies on. Trace ids are two UBIGINT halves and span
// ids one UBIGINT (0 when absent), free attributes two parallel VARCHAR
// lists, strings empty (never NULL) when absent and the optional numbers
// NULL when zero.
// Rows are appended in time order: every batch is sorted by ts before it is
// loaded, so DuckDB's per-row-group min/max statistics on ts prune every
// time-ranged query. Row groups hold 32,768 rows rather than DuckDB's
// 122,880 (Options.RowGroupSize; the file is ATTACHed with that size): the
// finer pruning made journeys and searches 1.3–2x faster at 5M events,
// ingest ~1.2x faster, at the same bytes per event.
//
// # Appending
//
// Append sorts the batch by (project, ts) and loads it on one connection
// inside an explicit transaction, together with the batch's side-index
// blocks (built concurrently), new anonymous→user pairs and the new
// ingest_state.seq, so LastSeq is exactly the last batch whose rows are
// visible; a refused or failed batch rolls back whole.
//
// The load goes through DuckDB's Appender into a temporary staging table
// whose strings are packed into one VARCHAR a row (fields separated by
// U+001F, list items by U+001E; those characters in the data become
// spaces), then one INSERT … SELECT splits them into the events table
// inside DuckDB. The Appender costs about three cgo calls per string value
// and an event has 17 string columns and two string lists; packing cut the
// load by 1.5–1.7x. Measured on this shared 2-core machine with 50k-event
// batches: 180–200k events/s for the whole Append (BenchmarkAppend; the
// commit with its WAL fsync is about a third of it). Batches of 50k–150k
// events store 45–47 bytes an event, batches of 10k about 55 (more, smaller
// blocks and filters). Also measured and rejected: the Appender on the
// events table itself; a spooled NDJSON file loaded with read_ndjson
// (1.6–1.9x slower than that Appender); a spooled CSV file with read_csv
// (a tie with it); two Appenders in parallel into in-memory staging tables
// (slower). The checkpoint threshold
// is raised (Options.CheckpointThreshold) because DuckDB's 16MB default
// checkpoints after almost every batch.
//
// # Side indexes
//
// DuckDB's zone maps cannot prune random ids or words, so lookups by trace,
// user or session and needle searches would scan the whole table. Append
// therefore cuts each batch into blocks (internal/store/blockfilter: one
// project, at most blockfilter.Rows rows and blockfilter.Span of time) and
// stores, per block, its [min_ts, max_ts] and two Bloom filters:
//
//   - keys: the block's trace ids, user ids, session ids and anonymous ids
//     (about 0.15% false positives), used by journeys (IDRanges);
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
// sent before the user identified. Messages are lower-cased with Go's
// strings.ToLower for the grams and with DuckDB's lower() by the compiled
// query; the two agree except for a few exotic Unicode case mappings.
//
// Measured on this shared 2-core machine (BenchmarkRead, events spread
// over 24h, p95 at 1M / 10M events): trace journey 4 / 8–14 ms, rare-word
// search 5 / 8 ms, newest page 6 / 9 ms, errors per minute split by service
// 19 / 80–85 ms; 46.5 bytes an event on disk including the filters (~4).
// A user journey costs what the blocks the user touches cost: 31 / 300 ms
// for the benchmark's users, who are active all day (200 events each at
// 10M, so nearly every block holds one of them); past a third of the
// range's rows the candidate blocks collapse into one plain scan. Users
// whose activity clusters in sessions touch few blocks.
//
// # Reading
//
// Every query is scoped by project_id and by ts, with bound parameters.
// (What follows is done by internal/analysis/events with the accelerators
// above.) Search returns (ts, rowid) descending and pages with a cursor holding the
// last row's pair. It does not sort the whole range: the block row counts
// (NewestSlices)
// cut the range into slices from its end backwards, the first expected to
// hold a page and each next four times larger, and the scan stops when the
// page is full. Histograms bucket with (ts - from) // step and split in one
// pass (counts per bucket and value, then the top values); facets group once
// and take totals with window functions.
package duckdb
