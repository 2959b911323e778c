// Package query implements Lore's search syntax: it parses a query string
// into an AST and compiles the AST to a SQL boolean expression with bound
// parameters for a given Dialect. User text never becomes SQL text.
package query

// Query is a parsed search. (Placeholder until the parser lands: the query
// helper replaces this file's contents but keeps these names.)
type Query struct {
	Text string
	Root Node
}

// Node is a node of the query AST.
type Node interface{ node() }
