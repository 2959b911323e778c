// Package analysis holds the product analytics requests — funnels,
// retention, paths, trends and web — as the server and CLI receive them:
// validated, turned into query objects (Query) with their ranges and keys,
// and shaped into answers; what they mean in SQL and in the person index
// is internal/analysis/product's. The other questions Lore asks of stored
// events have a subpackage each: narrative/ (story cards, incident
// timeline, service map, patterns), journey/ (one journey and its story),
// and the families whose SQL moved out of the store (calls/, flows/,
// product/, patternstats/, latency/, issuestats/, services/); scan/ plans
// reads, resolve/ remembers answers.
package analysis
