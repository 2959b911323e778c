package clickhouse

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
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
//
// Replicated (the URL's replicated=1, with ZooKeeper): every table is
// on every server of the cluster, each shard's replicas listed in the
// URL's shards (HOST:PORT|HOST:PORT,…) or found in remote_servers. A
// sharded table's local table is a Replicated* table of its shard
// (ZooKeeper path /clickhouse/tables/{shard}/DB/TABLE), every other
// table (the batch records, the schema's versions, the field catalogue,
// the id ranges) a Replicated* table of one path for the whole cluster
// (/clickhouse/tables/all/DB/TABLE), so no server holds state of its
// own; the Distributed tables and materialized views are on every
// server, so that any can take the store's statements. replicaEngine
// picks the engine of every migration's CREATE (createTables), so a
// migration says MergeTree and gets the replicated one. The macros
// {shard} and {replica} come from each server's configuration; replica
// names must be unique over the cluster (the host name, usually). The
// store sends its statements to the URL's server and, when it cannot be
// reached, to the next server of the cluster (Store.failover), and the
// writers' numbers are claimed by ON CLUSTER DDL, which ZooKeeper orders
// (writers.go). A mutation runs on one replica of each shard and is
// copied to the others by ZooKeeper.
//
// Exactly once on replicas: a replica may take a batch's rows (its part
// in ZooKeeper) and die before answering, and the replica the store
// turns to fetches that part only when it is back; the recovery would
// not see those rows. So on a replicated cluster a failed Append's
// recovery deletes the writer's rows and batch records above its last
// batch whether it sees them or not: a replicated mutation covers every
// part numbered before it, fetched later or not. The store's own count
// of its last batch (not the records, which a late part could bring
// back) is then what LastSeq answers, and inserts are not deduplicated
// (insert_deduplicate=0), since the append again of rows just deleted
// is the same block as the deleted one's.

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

// createAny names what a CREATE statement creates.
var createAny = regexp.MustCompile(`^CREATE (?:TABLE|MATERIALIZED VIEW|VIEW) IF NOT EXISTS ([A-Za-z_][A-Za-z0-9_]*)`)

// mergeTreeEngine is a MergeTree family engine of a CREATE statement.
var mergeTreeEngine = regexp.MustCompile(`ENGINE = ([A-Za-z]*)MergeTree\(([^)]*)\)`)

// replicaEngine turns the MergeTree family engine of a CREATE statement
// (MergeTree(), ReplacingMergeTree(), AggregatingMergeTree(),
// SummingMergeTree(cols), …) into its Replicated one, whose parts are
// kept at the ZooKeeper path zkPath, the replica named by the server's
// {replica} macro.
func replicaEngine(stmt, zkPath string) string {
	return mergeTreeEngine.ReplaceAllStringFunc(stmt, func(e string) string {
		m := mergeTreeEngine.FindStringSubmatch(e)
		args := quote(zkPath) + ", '{replica}'"
		if strings.TrimSpace(m[2]) != "" {
			args += ", " + m[2]
		}
		return "ENGINE = Replicated" + m[1] + "MergeTree(" + args + ")"
	})
}

// zkPath is the ZooKeeper path of a replicated table of the database:
// of its shard's replicas for a sharded table's local table, of every
// server's for the others.
func (s *Store) zkPath(table string, shard bool) string {
	if shard {
		return "/clickhouse/tables/{shard}/" + s.db + "/" + table
	}
	return "/clickhouse/tables/all/" + s.db + "/" + table
}

// connectShards finds the cluster's shards and opens a store on each
// (s.shards), creating the database there; on a replicated cluster a
// store on each server too (s.servers), and the others become the
// URL's server's failover.
func (s *Store) connectShards(ctx context.Context, shards [][]string, scheme, port string) error {
	if len(shards) == 0 {
		last := int64(0)
		err := s.each(ctx, "", "SELECT shard_num, host_name, replica_num FROM system.clusters WHERE cluster = "+quote(s.cluster)+" ORDER BY shard_num, replica_num", func(r *rows) error {
			var shard, replica int64
			var host string
			if err := r.Scan(&shard, &host, &replica); err != nil {
				return err
			}
			if replica > 1 && !s.replicated {
				return fmt.Errorf("a shard of cluster %q has several replicas: open it with replicated=1 (docs/scaling.md)", s.cluster)
			}
			if shard != last {
				shards = append(shards, nil)
				last = shard
			}
			shards[len(shards)-1] = append(shards[len(shards)-1], net.JoinHostPort(host, port))
			return nil
		})
		if err != nil {
			return fmt.Errorf("clickhouse: read the shards of cluster %q: %w", s.cluster, err)
		}
		if len(shards) == 0 {
			return fmt.Errorf("clickhouse: the server at %s knows no cluster %q (its remote_servers)", s.endpoint, s.cluster)
		}
	}
	entry := false
	var all []string
	server := func(addrs ...string) *Store {
		sv := &Store{
			endpoint: scheme + "://" + addrs[0] + "/", db: s.db, user: s.user, hc: s.hc, timeout: s.timeout,
			settings: s.settings, cancelOnClose: s.cancelOnClose, compat: s.compat, version: s.version,
			cluster: s.cluster, replicated: s.replicated, log: s.log.With("shard", addrs[0]),
		}
		for _, a := range addrs[1:] {
			sv.failover = append(sv.failover, scheme+"://"+a+"/")
		}
		return sv
	}
	for _, replicas := range shards {
		// A shard's statements go to the URL's server when it is one of
		// the shard's replicas, else to the first.
		all = append(all, replicas...)
		for i, a := range replicas {
			if scheme+"://"+a+"/" == s.endpoint {
				entry = true
				replicas = append([]string{a}, append(slices.Clone(replicas[:i]), replicas[i+1:]...)...)
				break
			}
		}
		s.shards = append(s.shards, server(replicas...))
	}
	if !entry {
		return fmt.Errorf("clickhouse: the store URL's server %s is not one of the shards of cluster %q (%s): name one of them", s.endpoint, s.cluster, strings.Join(all, ", "))
	}
	servers := s.shards
	if s.replicated {
		servers, s.failover = nil, nil
		for _, a := range all {
			servers = append(servers, server(a))
			if ep := scheme + "://" + a + "/"; ep != s.endpoint {
				s.failover = append(s.failover, ep)
			}
		}
		s.servers = servers
	}
	for _, sv := range servers {
		if err := sv.exec(ctx, "", "CREATE DATABASE IF NOT EXISTS "+s.db); err != nil {
			if s.replicated && refused(err) {
				// A replica that is down has the database already, or
				// the migrations, which need it, fail.
				s.log.Warn("clickhouse: a server of the cluster is down", "server", sv.endpoint, "err", err)
				continue
			}
			return fmt.Errorf("clickhouse: server %s of cluster %q: %w", sv.endpoint, s.cluster, err)
		}
	}
	return nil
}

// createTables runs a migration's CREATE TABLE: on a cluster, a sharded
// table's on every shard as its local table, then the Distributed table
// over them. On a replicated cluster every CREATE (of a table or a view)
// runs on every server, with its MergeTree engine replicated
// (replicaEngine).
func (s *Store) createTables(ctx context.Context, stmt string) error {
	m := createTable.FindStringSubmatch(stmt)
	if s.replicated {
		return s.createReplicated(ctx, stmt)
	}
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
	return s.exec(ctx, s.db, s.distributed(name))
}

// distributed is the CREATE of the Distributed table name over the
// shards' local tables.
func (s *Store) distributed(name string) string {
	return "CREATE TABLE IF NOT EXISTS " + name + " AS " + name + localSuffix +
		" ENGINE = Distributed(" + s.cluster + ", " + s.db + ", " + name + localSuffix + ", rand())"
}

// createReplicated runs stmt, a CREATE, on every server of a replicated
// cluster: a sharded table as its shard's replicated local table and
// the Distributed table over them, any other with its engine
// replicated over the cluster.
func (s *Store) createReplicated(ctx context.Context, stmt string) error {
	stmts := []string{stmt}
	if m := createTable.FindStringSubmatch(stmt); m != nil && sharded[m[1]] {
		name := m[1]
		local := strings.Replace(stmt, m[0], "CREATE TABLE IF NOT EXISTS "+name+localSuffix+" (", 1)
		stmts = []string{replicaEngine(local, s.zkPath(name+localSuffix, true)), s.distributed(name)}
	} else if m := createAny.FindStringSubmatch(stmt); m != nil {
		stmts = []string{replicaEngine(stmt, s.zkPath(m[1], false))}
	}
	for _, st := range stmts {
		for _, sv := range s.servers {
			if err := sv.exec(ctx, sv.db, st); err != nil {
				return fmt.Errorf("server %s: %w", sv.endpoint, err)
			}
		}
	}
	return nil
}

// alterTargets are where a migration's ALTER of table runs: the table;
// on a cluster each shard's local table of a sharded one, then the
// Distributed table; on a replicated cluster one replica of each shard
// (ZooKeeper copies the ALTER to the others) and the Distributed table
// on every server.
func (s *Store) alterTargets(table string) []rowTable {
	targets := s.rowTables(table)
	if len(targets) == 1 && targets[0].table == table {
		return targets
	}
	if !s.replicated {
		return append(targets, rowTable{s, table}) // the Distributed table, after its shards'
	}
	for _, sv := range s.servers {
		targets = append(targets, rowTable{sv, table})
	}
	return targets
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

// viewTables are the tables a materialized view of table's rows must be
// on: rowTables, but on a replicated cluster every server's local table
// (an INSERT fires the views of the server that takes it, not those of
// the replicas that fetch its part).
func (s *Store) viewTables(table string) []rowTable {
	if !s.replicated || !sharded[table] {
		return s.rowTables(table)
	}
	out := make([]rowTable, len(s.servers))
	for i, sv := range s.servers {
		out[i] = rowTable{sv, table + localSuffix}
	}
	return out
}

// replicasCaughtUp says whether every replica of every shard of a
// replicated cluster is up and has fetched what its shard holds (true
// off one): a recomputation of the rollups from one replica's events
// before then misses the rows of parts it has yet to fetch, and its
// deletion removes their rollup rows all the same.
func (s *Store) replicasCaughtUp(ctx context.Context) (bool, error) {
	if !s.replicated {
		return true, nil
	}
	for _, sh := range s.shards {
		// Replicas down, and parts this one has to fetch (not merges,
		// which come all the time under ingest).
		var behind int64
		if err := sh.queryOne(ctx, "", "SELECT toInt64((SELECT sum(total_replicas - active_replicas) FROM system.replicas WHERE database = "+quote(s.db)+
			") + (SELECT count() FROM system.replication_queue WHERE database = "+quote(s.db)+" AND type = 'GET_PART'))", &behind); err != nil {
			return false, fmt.Errorf("clickhouse: read the replicas' state: %w", err)
		}
		if behind > 0 {
			s.log.Info("clickhouse: the rollups' repair waits for the replicas to catch up", "shard", sh.endpoint)
			return false, nil
		}
	}
	return true, nil
}

// alterRows runs the mutation "ALTER TABLE table command WHERE where"
// where the table's rows are (each shard's local table on a cluster) and
// waits for each to finish.
func (s *Store) alterRows(ctx context.Context, table, command, where string) error {
	for _, t := range s.rowTables(table) {
		before, err := t.s.lastMutation(ctx, t.table)
		if err != nil {
			return err
		}
		if err := t.s.exec(ctx, t.s.db, "ALTER TABLE "+t.table+" "+command+" WHERE "+where); err != nil {
			return err
		}
		if err := t.s.awaitMutations(ctx, t.table, before); err != nil {
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
	if s.cluster != "" && engine == "Distributed" {
		var local string
		if err := s.queryOne(ctx, s.db, "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = 'events"+localSuffix+"'", &local); err != nil {
			return fmt.Errorf("clickhouse: read the events_local table's engine: %w", err)
		}
		switch replicated := strings.HasPrefix(local, "Replicated"); {
		case s.replicated && !replicated:
			return fmt.Errorf("clickhouse: database %s was created without replicas (its events are %s tables): it cannot be opened with replicated=1", s.db, local)
		case !s.replicated && replicated:
			return fmt.Errorf("clickhouse: database %s is replicated (its events are %s tables): open it with replicated=1 (docs/scaling.md)", s.db, local)
		}
	}
	switch {
	case s.cluster != "" && engine != "Distributed":
		return fmt.Errorf("clickhouse: database %s was created on one server (its events table is a %s): it cannot be opened with cluster=%s", s.db, engine, s.cluster)
	case s.cluster == "" && engine == "Distributed":
		return fmt.Errorf("clickhouse: database %s is sharded over a cluster (its events table is Distributed): open it with ?cluster=NAME (docs/scaling.md)", s.db)
	}
	return nil
}
