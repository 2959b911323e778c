package native

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

// decodeJSONLine decodes one JSON object line.
func (d *decoder) decodeJSONLine(line int, raw []byte) {
	v, err := d.parser.ParseBytes(raw)
	if err != nil {
		d.fail(line, "invalid JSON", "%s", jsonError(raw, err))
		return
	}
	o, err := v.Object()
	if err != nil {
		d.fail(line, "invalid JSON", "line is %s, want an object", v.Type())
		return
	}
	d.emitObject(line, o)
}

// emitObject maps one JSON object onto a new event.
func (d *decoder) emitObject(line int, o *fastjson.Object) {
	e := d.begin()
	d.keyBuf = d.keyBuf[:0]
	err := d.flatten(o)
	d.end(line, e, err)
}

// flatten feeds the fields of o to the mapper, nested objects as dotted
// keys ({"http":{"status_code":500}} is http.status_code). Values are
// rendered as strings: strings as they are, numbers in their shortest
// form, booleans as true/false, arrays as compact JSON; null fields are
// absent and are skipped; an empty object is kept as "{}".
func (d *decoder) flatten(o *fastjson.Object) error {
	var err error
	prefix := len(d.keyBuf)
	o.Visit(func(k []byte, v *fastjson.Value) {
		if err != nil {
			return
		}
		d.keyBuf = append(d.keyBuf[:prefix], k...)
		switch v.Type() {
		case fastjson.TypeObject:
			sub, _ := v.Object()
			if sub.Len() == 0 {
				err = d.mapper.Set(d.key(d.keyBuf), "{}")
				return
			}
			d.keyBuf = append(d.keyBuf, '.')
			err = d.flatten(sub)
		case fastjson.TypeString:
			s, _ := v.StringBytes()
			err = d.mapper.Set(d.key(d.keyBuf), d.str(s))
		case fastjson.TypeNumber:
			d.valBuf = v.MarshalTo(d.valBuf[:0])
			err = d.mapper.Set(d.key(d.keyBuf), d.number(d.valBuf))
		case fastjson.TypeTrue:
			err = d.mapper.Set(d.key(d.keyBuf), "true")
		case fastjson.TypeFalse:
			err = d.mapper.Set(d.key(d.keyBuf), "false")
		case fastjson.TypeArray:
			d.valBuf = v.MarshalTo(d.valBuf[:0])
			err = d.mapper.Set(d.key(d.keyBuf), d.str(d.valBuf))
		case fastjson.TypeNull:
		}
	})
	d.keyBuf = d.keyBuf[:prefix]
	return err
}

// number renders a JSON number in its shortest form: integers and plain
// decimals as written, "1.50" as "1.5" and "1e3" as "1000".
func (d *decoder) number(b []byte) string {
	canonical := true
	for i, c := range b {
		if c == 'e' || c == 'E' || c == '+' || (c == '.' && b[len(b)-1] == '0') || (c == '0' && i == 0 && len(b) > 1 && b[1] != '.') {
			canonical = false
			break
		}
	}
	if canonical {
		return d.str(b)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return string(b)
	}
	if a := f; (a < 0 && a > -1e21) || (a >= 0 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// jsonError explains why raw is not JSON. fastjson's messages do not say
// where; on this cold path encoding/json is asked again for the offset.
func jsonError(raw []byte, err error) string {
	var se *json.SyntaxError
	if jerr := json.Unmarshal(raw, new(json.RawMessage)); errors.As(jerr, &se) {
		msg := strings.TrimPrefix(se.Error(), "json: ")
		msg = strings.Replace(msg, "unexpected end of JSON input", "unexpected end of input", 1)
		return fmt.Sprintf("%s at offset %d", msg, se.Offset)
	}
	return strings.TrimPrefix(err.Error(), "cannot parse JSON: ")
}
