// Package patterns mines log message templates online, at ingest, with the
// Drain algorithm: Pinjia He, Jieming Zhu, Zibin Zheng and Michael R. Lyu,
// "Drain: An Online Log Parsing Approach with Fixed Depth Tree", IEEE
// International Conference on Web Services (ICWS), 2017.
//
// A message is split into tokens, variable-looking tokens (numbers, ids,
// hex, IP addresses, paths, quoted values, key=value values) are masked as
// <*>, and the masked tokens descend a parse tree of fixed depth: first by
// token count, then by the first few tokens. The leaf holds a short list of
// log groups (clusters); the message joins the most similar one when the
// share of equal tokens reaches the similarity threshold, and the group's
// template turns the positions that differ into <*>. Otherwise a new group
// starts. The tree's fixed depth bounds the work per message, so mining is
// done inline in the ingest path.
//
// Each group has a pattern id, fixed when the group is created and kept in
// a file under the data directory, so ids stay stable across restarts and
// as the template generalises. Miner is the algorithm; Processor runs one
// miner per project in Lore's ingest pipeline and stamps each log row with
// the attribute pattern_id.
package patterns
