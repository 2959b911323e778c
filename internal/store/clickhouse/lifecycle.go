package clickhouse

// Shared reports that other Lore nodes may write and read the same
// database: the app then runs the work on the events (retention) once
// across the nodes, under the retention lease (internal/app/nodes.go).
func (s *Store) Shared() bool { return true }
