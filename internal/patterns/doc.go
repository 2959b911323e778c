// Package patterns mines log message templates online, at ingest, with the
// Drain algorithm (Pinjia He, Jieming Zhu, Zibin Zheng and Michael R. Lyu,
// "Drain: An Online Log Parsing Approach with Fixed Depth Tree", IEEE
// International Conference on Web Services, 2017) and what carries over to
// an online miner from Brain (Siyu Yu, Pinjia He, Ningjiang Chen and Yifan
// Wu, "Brain: Log Parsing with Bidirectional Parallel Tree", IEEE
// Transactions on Services Computing, 2023).
//
// A message is split into tokens and the variable-looking parts are masked
// (Tokenize: numbers, ids, hex, addresses, host names and host:port,
// paths and URLs, quoted values, dates, sizes and durations with their
// units, and the values inside key=value, key:value, name[pid] and
// call(arg) tokens). The masked tokens descend a parse tree of fixed depth:
// first by token count, then by the first few tokens (a variable-looking
// token goes to a wildcard child, so variable first tokens do not split
// groups). The leaf holds a short list of log groups; the message joins
// the most similar one when the share of equal tokens reaches the
// similarity threshold. A message that differs from its group only in
// plain words is a variant of it until the differing positions have shown
// Config.Variants distinct words (Brain's column threshold, counted
// online); then the variants fold into the group and those positions
// become wildcards. The tree's fixed depth bounds the work per message, so
// mining is done inline in the ingest path (BENCHMARKS.md: "Log patterns").
//
// Each group has a pattern id, fixed when the group is created and kept in
// a file under the data directory, so ids stay stable across restarts and
// as the template generalises; a folded variant's id becomes an alias of
// the group it folded into. Nodes sharing a Registry (the PostgreSQL
// metadata database) share the ids: each claims its new groups' ids there
// and learns the templates the others claimed (Processor.UseRegistry). Miner is the algorithm; Processor runs one
// miner per project and service (a Stream) in Lore's ingest pipeline,
// bounds them one by one and together, forgetting the least recently seen
// groups, and stamps each log and error row with the attribute pattern_id.
package patterns
