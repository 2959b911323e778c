package meta

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// MarshalYAML renders dashboards or saved searches as YAML documents, one
// per item separated by "---", without ids or times, so that an export
// kept in version control changes only when the dashboards do.
func MarshalYAML[T Dashboard | SavedSearch](items []T) ([]byte, error) {
	if len(items) == 0 {
		return []byte{}, nil // no documents (the encoder fails to close an empty stream)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return nil, fmt.Errorf("encode YAML: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	return b.Bytes(), nil
}

// UnmarshalYAML reads the documents of a YAML export (JSON is YAML too).
// Unknown keys are refused, so a typo does not silently drop a setting;
// errors name the document and line.
func UnmarshalYAML[T Dashboard | SavedSearch](data []byte) ([]T, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var out []T
	for i := 1; ; i++ {
		var it T
		err := dec.Decode(&it)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("YAML document %d: %w", i, err)
		}
		out = append(out, it)
	}
	if len(out) == 0 {
		return nil, errors.New("no YAML document in the body")
	}
	return out, nil
}
