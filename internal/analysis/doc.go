// Package analysis answers the questions Lore asks of stored events, as
// query objects: the Overview's story cards and their detectors
// (stories*.go), the incident timeline (timeline.go), the service map and
// a trace's breakdown (servicemap*.go), log patterns (patterns*.go), and
// the product analytics requests (funnel, retention, paths, trends, web)
// whose SQL lives in product/. A narrated journey (a trace's, user's or
// session's events and their story) is journey/; the other families
// whose SQL moved out of the store have a subpackage each (calls/,
// flows/, product/, patternstats/, latency/, issuestats/, services/);
// scan/ plans reads and resolve/ remembers answers.
package analysis
