package store

// AttrSampleRate is the attribute a project's sampling puts on each event
// it keeps of a sampled class (lifecycle.AttrSampleRate): the share of the
// class kept. Counts weight such an event by 1/rate to estimate the count
// before sampling (Bucket.Estimate, FacetValue.Estimate).
const AttrSampleRate = "lore.sample_rate"
