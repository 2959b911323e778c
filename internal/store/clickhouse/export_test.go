package clickhouse

// RewritesForOldServer says whether Run rewrites the analyses' SQL for an
// old server (compat.go): false on a current release.
func (s *Store) RewritesForOldServer() bool { return s.compat }
