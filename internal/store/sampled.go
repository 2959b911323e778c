package store

// SampledBucket is what the projects' sampling kept in one step of a
// range: the events that carry a sample rate (lore.sample_rate), and how
// many they stand for, each weighted by 1/rate. A count is estimated as
// the stored count plus Estimated - Kept.
type SampledBucket struct {
	Start     int64 // µs
	Kept      int64
	Estimated float64
}
