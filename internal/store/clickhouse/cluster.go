package clickhouse

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"
)

// A database on a cluster of shards (the store URL's cluster parameter).
// The tables of events and identity pairs (sharded) are a
// MergeTree table of the same columns on every shard, named with the
// suffix _local, and on the server the URL names, one of the shards, a
// Distributed table of the plain name over them, which every read and
// insert goes through: the analyses' SQL runs unchanged. Inserts wait
// for every shard (insert_distributed_sync=1: the exactly-once scheme
// needs a batch's rows on the shards before its record); subqueries over
// a Distributed table inside a query over one run once and are sent to
// the shards (distributed_product_mode=global). The batch records, the
// schema's versions, the writers' numbers and the field catalogue are
// plain tables of that one server, which every node must name.
//
// 18.16 runs no ON CLUSTER statement without ZooKeeper, so the store
// creates and alters each shard's tables on that shard, over its HTTP
// interface (the URL's shards parameter, or the cluster's hosts as its
// remote_servers names them, at the URL's port), and deletes (mutations, which a Distributed table
// refuses) from each shard's local table, waiting for each.

// sharded are the tables spread over a cluster's shards: the events, the
// identity pairs, and the rollups of the events (rollup.go), each
// shard's fed from its own events by a view. The field
// catalogue is not: it is small, and a field's rows of one day are
// merged in the order they were written (fieldstats.ValueDays), which
// rows read from several shards do not keep.
var sharded = map[string]bool{"events": true, "idents": true,
	"rollup_minutes": true, "rollup_errors": true, "rollup_releases": true, "sampled_days": true}

// localSuffix names a sharded table's local table on each shard.
const localSuffix = "_local"

var createTable = regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS ([A-Za-z_][A-Za-z0-9_]*) \(`)

// connectShards finds the cluster's shards and opens a store on each
// (s.shards), creating the database there.
func (s *Store) connectShards(ctx context.Context, addrs []string, scheme, port string) error {
	if len(addrs) == 0 {
		err := s.each(ctx, "", "SELECT host_name, replica_num FROM system.clusters WHERE cluster = "+quote(s.cluster)+" ORDER BY shard_num, replica_num", func(r *rows) error {
			var host string
			var replica int64
			if err := r.Scan(&host, &replica); err != nil {
				return err
			}
			if replica > 1 {
				return fmt.Errorf("a shard of cluster %q has several replicas: not supported (docs/scaling.md)", s.cluster)
			}
			addrs = append(addrs, net.JoinHostPort(host, port))
			return nil
		})
		if err != nil {
			return fmt.Errorf("clickhouse: read the shards of cluster %q: %w", s.cluster, err)
		}
		if len(addrs) == 0 {
			return fmt.Errorf("clickhouse: the server at %s knows no cluster %q (its remote_servers)", s.endpoint, s.cluster)
		}
	}
	entry := false
	for _, a := range addrs {
		sh := &Store{
			endpoint: scheme + "://" + a + "/", db: s.db, user: s.user, hc: s.hc, timeout: s.timeout,
			settings: s.settings, cancelOnClose: s.cancelOnClose, compat: s.compat, version: s.version,
			log: s.log.With("shard", a),
		}
		entry = entry || sh.endpoint == s.endpoint
		if err := sh.exec(ctx, "", "CREATE DATABASE IF NOT EXISTS "+s.db); err != nil {
			return fmt.Errorf("clickhouse: shard %s of cluster %q: %w", a, s.cluster, err)
		}
		s.shards = append(s.shards, sh)
	}
	if !entry {
		return fmt.Errorf("clickhouse: the store URL's server %s is not one of the shards of cluster %q (%s): name one of them", s.endpoint, s.cluster, strings.Join(addrs, ", "))
	}
	return nil
}

// createTables runs a migration's CREATE TABLE: on a cluster, a sharded
// table's on every shard as its local table, then the Distributed table
// over them.
func (s *Store) createTables(ctx context.Context, stmt string) error {
	m := createTable.FindStringSubmatch(stmt)
	if s.cluster == "" || m == nil || !sharded[m[1]] {
		return s.exec(ctx, s.db, stmt)
	}
	name := m[1]
	local := strings.Replace(stmt, m[0], "CREATE TABLE IF NOT EXISTS "+name+localSuffix+" (", 1)
	for _, sh := range s.shards {
		if err := sh.exec(ctx, sh.db, local); err != nil {
			return fmt.Errorf("shard %s: %w", sh.endpoint, err)
		}
	}
	return s.exec(ctx, s.db, "CREATE TABLE IF NOT EXISTS "+name+" AS "+name+localSuffix+
		" ENGINE = Distributed("+s.cluster+", "+s.db+", "+name+localSuffix+", rand())")
}

// rowTable is a server and the name there of a table's rows: the table
// on one server; on a cluster, each shard's local table of a sharded one.
type rowTable struct {
	s     *Store
	table string
}

// rowTables are where table's rows are.
func (s *Store) rowTables(table string) []rowTable {
	if s.cluster == "" || !sharded[table] {
		return []rowTable{{s, table}}
	}
	out := make([]rowTable, len(s.shards))
	for i, sh := range s.shards {
		out[i] = rowTable{sh, table + localSuffix}
	}
	return out
}

// alterRows runs the mutation "ALTER TABLE table command WHERE where"
// where the table's rows are (each shard's local table on a cluster) and
// waits for each to finish.
func (s *Store) alterRows(ctx context.Context, table, command, where string) error {
	for _, t := range s.rowTables(table) {
		if err := t.s.exec(ctx, t.s.db, "ALTER TABLE "+t.table+" "+command+" WHERE "+where); err != nil {
			return err
		}
		if err := t.s.awaitMutations(ctx, t.table); err != nil {
			return err
		}
	}
	return nil
}

// checkLayout refuses a database whose events table is not what the URL
// says: Distributed over shards with a cluster parameter, a table of its
// own without (a database is created one way and stays so).
func (s *Store) checkLayout(ctx context.Context) error {
	var engine string
	if err := s.queryOne(ctx, s.db, "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = 'events'", &engine); err != nil {
		return fmt.Errorf("clickhouse: read the events table's engine: %w", err)
	}
	switch {
	case s.cluster != "" && engine != "Distributed":
		return fmt.Errorf("clickhouse: database %s was created on one server (its events table is a %s): it cannot be opened with cluster=%s", s.db, engine, s.cluster)
	case s.cluster == "" && engine == "Distributed":
		return fmt.Errorf("clickhouse: database %s is sharded over a cluster (its events table is Distributed): open it with ?cluster=NAME (docs/scaling.md)", s.db)
	}
	return nil
}
