// Package otlp decodes OTLP/HTTP export requests (logs and traces, binary
// protobuf and OTLP/JSON) into Lore events, and encodes the export responses
// the OTLP/HTTP specification asks for. It holds pure functions only: the
// HTTP handler reads and decompresses the body, calls DecodeLogs or
// DecodeTraces, stores the events and answers with LogsResponse or
// TracesResponse.
//
// The mapping follows the OpenTelemetry semantic conventions; see traces.go,
// logs.go and attributes.go for the details.
package otlp

import (
	"errors"
	"fmt"
	"mime"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Options carries what the decoders cannot learn from the body.
type Options struct {
	ProjectID int64 // set on every event
	Now       int64 // microseconds since the Unix epoch: ReceivedAt, and TS of log records without time
}

// Encoding is the wire encoding of an OTLP/HTTP body.
type Encoding int

// Encodings of OTLP/HTTP.
const (
	Protobuf Encoding = iota // application/x-protobuf
	JSON                     // application/json (OTLP/JSON)
)

// Content types of the two encodings, as the responses carry them.
const (
	ContentTypeProtobuf = "application/x-protobuf"
	ContentTypeJSON     = "application/json"
)

// ErrUnsupportedContentType is wrapped by the error ParseContentType returns
// for a content type that is neither protobuf nor JSON (HTTP 415).
var ErrUnsupportedContentType = errors.New("unsupported content type")

// ParseContentType tells the encoding of a request from its Content-Type
// header: application/x-protobuf (or application/protobuf, or no header at
// all) is binary protobuf, application/json is OTLP/JSON. Parameters such as
// "; charset=utf-8" are ignored.
func ParseContentType(contentType string) (Encoding, error) {
	if strings.TrimSpace(contentType) == "" {
		return Protobuf, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Protobuf, fmt.Errorf("cannot parse content type %q: %w", contentType, err)
	}
	switch mt {
	case "application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf":
		return Protobuf, nil
	case "application/json":
		return JSON, nil
	}
	return Protobuf, fmt.Errorf("%w %q: OTLP/HTTP takes %s or %s", ErrUnsupportedContentType, contentType, ContentTypeProtobuf, ContentTypeJSON)
}

// unmarshal decodes body into m in the given encoding. For JSON, the OTLP
// deviations from the proto3 JSON mapping (hex ids) are handled by fixIDs,
// which drops the records whose ids are invalid and returns their number.
func unmarshal(body []byte, enc Encoding, m proto.Message, fixIDs func([]byte) ([]byte, int, error)) (rejected int, err error) {
	if enc == JSON {
		body, rejected, err = fixIDs(body)
		if err != nil {
			return 0, err
		}
		opts := protojson.UnmarshalOptions{DiscardUnknown: true}
		if err := opts.Unmarshal(body, m); err != nil {
			return 0, fmt.Errorf("cannot decode OTLP/JSON body: %w", err)
		}
		return rejected, nil
	}
	if err := proto.Unmarshal(body, m); err != nil {
		return 0, fmt.Errorf("cannot decode OTLP protobuf body of %d bytes starting %q: %w", len(body), head(body), err)
	}
	return 0, nil
}

// marshalResponse encodes a response message in the request's encoding.
func marshalResponse(contentType string, m proto.Message) ([]byte, string) {
	enc, err := ParseContentType(contentType)
	if err == nil && enc == JSON {
		b, err := protojson.Marshal(m)
		if err == nil {
			return b, ContentTypeJSON
		}
	}
	b, err := proto.Marshal(m)
	if err != nil {
		// Marshalling these small generated messages cannot fail; an empty
		// body is still a valid (full success) protobuf response.
		return nil, ContentTypeProtobuf
	}
	return b, ContentTypeProtobuf
}

// head is the start of body, to quote in an error (a JSON body sent as
// protobuf is recognised at a glance).
func head(body []byte) []byte {
	const n = 32
	if len(body) > n {
		return body[:n]
	}
	return body
}
