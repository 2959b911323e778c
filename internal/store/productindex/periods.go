package productindex

const (
	day  = int64(86400 * 1_000_000)
	week = 7 * day
	// weekOrigin is the first Monday after the epoch (1970-01-05), so
	// weekly periods start on Mondays.
	weekOrigin = 4 * day
)

// periodOrigin is the instant period boundaries are counted from.
func periodOrigin(period int64) int64 {
	if period == week {
		return weekOrigin
	}
	return 0
}
