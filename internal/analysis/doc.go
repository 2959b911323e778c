// Package analysis answers the questions Lore asks of stored events, as
// query objects that take a store.Reader and return a result: journeys and
// the stories told from them (journey.go, story*.go, render.go), and later
// funnels, retention, paths, patterns and incidents. Nothing here writes SQL
// or knows a backend; everything is testable with an in-memory Reader.
package analysis
