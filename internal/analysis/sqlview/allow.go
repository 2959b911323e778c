package sqlview

import "strings"

// DuckDB checks a query's deadline between chunks of rows, never inside
// one function call: a call that builds a value from a number
// (repeat('x', 2000000000), range(3000000000)) or that backtracks
// (LIKE '%a%a%a%_') runs to its end whatever the deadline says. So a text
// may call only the functions below, whose work and output are bounded by
// the size of their inputs, and the walk (check.go) bounds how much the
// inputs can grow: Lore's values are at most 64 KiB a string (the ingest
// limits), and every value a text computes is at most maxGrowth times
// that.

// maxGrowth bounds how much a text's calls can multiply a value's size:
// the product, over every call of a growing function, of its factor.
const maxGrowth = 16

// maxPattern is the longest needle, separator, replacement or pattern a
// search may use, in bytes: searching is O(haystack × needle), and a
// haystack may be 64 KiB.
const maxPattern = 64

// class is how an allowed function's output and work relate to its
// inputs.
type class uint8

const (
	// bounded: the output is no larger than the largest input (or a
	// constant of the text); the work is linear in the inputs (n log n
	// for sorts).
	bounded class = iota
	// additive: the output is at most the sum of the inputs (concat,
	// ||, list_value, …). A call multiplies the growth by its number of
	// arguments that are not constants.
	additive
	// collecting: an aggregate whose output grows with its rows
	// (string_agg, list). Only in the outermost SELECT, never OVER a
	// window, never in a SELECT with window functions, and never an
	// input of a growing function: its value is one a group, read once.
	collecting
	// windowOnly: row_number, rank, lag, … (with OVER).
	windowOnly
)

// splitBytes is how much of a value a split reads: a split makes an
// element of every separator, and 64 KiB of them in each row of a 2,048-row
// chunk took ~14 s; 4 KiB keep a chunk under a second.
const splitBytes = 4096

// splits are the functions whose first argument Lore cuts to splitBytes
// (left(x, 4096)) before the engine runs them.
var splits = map[string]bool{"string_split": true, "str_split": true, "string_to_array": true, "split": true, "split_part": true}

// patterns name the arguments (0-based) of a function that must be
// constant strings of at most maxPattern bytes.
var patterns = map[string][]int{
	"contains": {1}, "strpos": {1}, "instr": {1}, "position": {1},
	"replace": {1, 2}, "translate": {1, 2},
	"string_split": {1}, "str_split": {1}, "string_to_array": {1}, "split": {1}, "split_part": {1},
	"regexp_matches": {1, 2}, "regexp_full_match": {1, 2}, "regexp_extract": {1},
	"regexp_replace": {1, 2, 3},
	"~~":             {1}, "!~~": {1}, "~~*": {1}, "!~~*": {1}, "~~~": {1},
	"array_to_string": {1},
}

// factors are the growth of the functions that may make a value larger
// than their largest input by a constant factor (besides additive ones).
var factors = map[string]int{
	// a list of one-byte strings is 16 bytes an element
	"string_split": 16, "str_split": 16, "string_to_array": 16, "split": 16,
	// a text rendering of a value (quotes, escapes, brackets)
	"to_json": 2, "array_to_json": 2, "row_to_json": 2, "json_quote": 2, "to_hex": 2, "hex": 2, "to_base64": 2, "base64": 2,
	"url_encode": 3, "nfc_normalize": 3, "bin": 8, "to_binary": 8, "array_to_string": 2, "list_string_agg": 2,
}

// functions are the functions and operators a text may call, by the name
// DuckDB's parser gives them (operators by their symbol).
var functions = map[string]class{}

func init() {
	add := func(c class, names string) {
		for _, n := range splitNames(names) {
			functions[n] = c
		}
	}
	// Operators: arithmetic, comparison, string concatenation, LIKE
	// (patterns checked), JSON arrows, list and bit operators.
	add(bounded, `+ - * / // % ** ^ & | << >> ~ @ ~~ !~~ ~~* !~~* ~~~ ^@ -> ->> <@ @> && <=> <->`)
	add(additive, `||`)
	// Numbers.
	add(bounded, `abs acos acosh add asin asinh atan atan2 atanh cbrt ceil ceiling cos cosh cot degrees divide
		even exp floor gamma gcd greatest greatest_common_divisor isfinite isinf isnan lcm least
		least_common_multiple lgamma ln log log10 log2 mod multiply nextafter pi pow power radians round
		round_even roundbankers sign signbit sin sinh sqrt subtract tan tanh trunc xor fdiv fmod
		bit_count hash md5 md5_number sha1 sha256 random gen_random_uuid uuid uuidv4 uuidv7
		format_bytes formatreadablesize formatreadabledecimalsize pg_size_pretty typeof nullif ifnull coalesce`)
	// Strings (the needles, separators and patterns are constants: see
	// patterns).
	add(bounded, `lower lcase upper ucase length len char_length character_length strlen octet_length bit_length
		length_grapheme substr substring substring_grapheme left right left_grapheme right_grapheme
		trim ltrim rtrim starts_with prefix ends_with suffix contains strpos instr position
		replace translate reverse ascii chr unicode ord strip_accents nfc_normalize
		split_part string_split str_split string_to_array split
		regexp_matches regexp_full_match regexp_extract regexp_replace
		regexp_escape url_decode from_base64 from_hex unhex from_binary unbin
		to_hex hex to_base64 base64 url_encode bin to_binary
		parse_path parse_dirname parse_dirpath parse_filename`)
	add(additive, `concat concat_ws`)
	// JSON.
	add(bounded, `json_extract json_extract_path json_extract_string json_extract_path_text json_value json_exists
		json_type json_valid json_array_length json_keys json_contains json_structure
		to_json array_to_json row_to_json json_quote`)
	// Time.
	add(bounded, `age century current_date current_localtime current_localtimestamp date_diff date_part date_sub
		date_trunc datediff datepart datesub datetrunc day dayname dayofmonth dayofweek dayofyear decade
		epoch epoch_ms epoch_ns epoch_us era get_current_time get_current_timestamp hour isodow isoyear
		julian last_day make_date make_time make_timestamp make_timestamp_ms make_timestamp_ns make_timestamptz
		microsecond millennium millisecond minute month monthname nanosecond now quarter second strftime
		strptime try_strptime time_bucket timezone timezone_hour timezone_minute to_centuries to_days
		to_decades to_hours to_microseconds to_millennia to_milliseconds to_minutes to_months to_quarters
		to_seconds to_timestamp to_weeks to_years today transaction_timestamp week weekday weekofyear year
		yearweek normalized_interval date_add`)
	// Lists, maps and structs: reading them, sorting them, filtering
	// and transforming them with lambdas over their own elements.
	add(bounded, `array_extract list_extract list_element element_at array_slice list_slice array_length
		cardinality array_contains list_contains array_has list_has array_position list_position
		array_indexof list_indexof array_distinct list_distinct array_unique list_unique array_sort list_sort
		array_reverse_sort list_reverse_sort array_grade_up list_grade_up grade_up flatten
		array_transform list_transform array_apply list_apply apply array_filter list_filter filter
		array_select list_select array_where list_where list_reverse array_reverse array_pop_back
		array_pop_front map_extract map_extract_value map_keys map_values map_entries map_contains
		map_contains_key map_contains_value struct_extract struct_extract_at struct_contains struct_has
		struct_indexof struct_position list_sum list_avg list_min list_max list_count list_first list_last
		list_any_value list_median list_mode list_product list_bool_and list_bool_or list_stddev_pop
		list_stddev_samp list_var_pop list_var_samp list_approx_count_distinct list_entropy
		array_to_string list_string_agg union_extract union_tag unnest`)
	add(additive, `list_value array_value list_pack struct_pack row map list_concat list_cat array_concat array_cat
		list_append array_append array_push_back list_prepend array_prepend array_push_front
		list_zip array_zip map_from_entries map_concat struct_concat struct_insert`)
	// Aggregates whose state and output are bounded (the engine's memory
	// limit covers those that keep their rows, like quantiles).
	add(bounded, `count count_star count_if countif sum avg mean min max any_value arbitrary first last
		arg_max arg_min argmax argmin max_by min_by arg_max_null arg_min_null
		quantile quantile_cont quantile_disc median mode mad approx_quantile approx_count_distinct
		stddev stddev_pop stddev_samp variance var_pop var_samp sem skewness kurtosis kurtosis_pop entropy
		corr covar_pop covar_samp regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx
		regr_sxy regr_syy bit_and bit_or bit_xor bool_and bool_or product fsum sumkahan kahan_sum favg
		geomean geometric_mean weighted_avg wavg`)
	add(collecting, `string_agg group_concat listagg list array_agg histogram histogram_exact`)
	add(windowOnly, `row_number rank dense_rank rank_dense percent_rank cume_dist ntile lag lead first_value
		last_value nth_value`)
}

func splitNames(s string) []string {
	var out []string
	word := []byte{}
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' || s[i] == '\n' || s[i] == '\t' {
			if len(word) > 0 {
				out = append(out, string(word))
				word = word[:0]
			}
			continue
		}
		word = append(word, s[i])
	}
	return out
}

// topN are aggregates whose extra argument would make them keep n
// values (min(x, n), arg_max(x, y, n)): allowed with their plain
// arguments only.
var topN = map[string]int{
	"min": 1, "max": 1, "arg_max": 2, "arg_min": 2, "argmax": 2, "argmin": 2, "max_by": 2, "min_by": 2,
	"arg_max_null": 2, "arg_min_null": 2, "approx_quantile": 2, "first": 1, "last": 1, "any_value": 1,
}

// Allowed says whether a text may call the function or operator name.
func Allowed(name string) bool {
	_, ok := functions[strings.ToLower(name)]
	return ok
}
