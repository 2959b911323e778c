// Package analysis is the questions Lore asks of stored events, as query
// objects: each states its meaning once, builds its SQL through the
// engine's sqlq.Dialect, runs on any sqlq.Executor and finds a store's
// accelerators by type assertion. It has a subpackage per family:
// product/ (funnels, retention, paths, trends, web: the requests as the
// server and CLI receive them, one query object per analysis),
// narrative/ (story cards, incident timeline, service map, patterns),
// journey/ (one journey and its story), events/ (search, histogram,
// facets, journeys' events), calls/, flows/, services/, patternstats/,
// latency/, issuestats/ and fieldstats/ (the families whose SQL moved out
// of the store), pipes/ and sqlview/ (the query language's pipes and the
// SQL view); scan/ plans reads, resolve/ holds the store roles and
// remembers answers by Key().
package analysis
