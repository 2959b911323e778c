package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/lore-dev/lore/internal/event"
)

// The event codec writes one event.Event as:
//
//	uvarint  presence bitmask (bit i set: field i below is present)
//	varint   ProjectID (zig-zag)
//	varint   TS (zig-zag)
//	varint   ReceivedAt - TS (zig-zag)
//	then, for each present field in declaration order of event.Event: strings as uvarint length
//	and bytes, ids as their fixed 16 or 8 bytes, HTTPStatus and
//	RetryAttempt as zig-zag varints, DurationMS as 8 bytes of IEEE 754
//	bits (little endian), Attributes as a uvarint count of key/value
//	string pairs.
//
// Absent (zero) fields cost one bit, which keeps typical log lines small.

// Field bits of the presence bitmask.
const (
	// The fields most events carry come first, so that the mask of a
	// typical log line fits one varint byte.
	fKind = 1 << iota
	fLevel
	fService
	fMessage
	fName
	fTraceID
	fSpanID
	fEnv
	fRelease
	fHost
	fParentSpanID
	fUserID
	fAnonymousID
	fSessionID
	fRequestID
	fHTTPMethod
	fEndpoint
	fHTTPStatus
	fDurationMS
	fErrorType
	fErrorCode
	fFingerprint
	fRetryAttempt
	fAttributes
	fAll = 1<<iota - 1
)

var errShort = errors.New("truncated input")

// appendEvent appends the encoding of e to b.
func appendEvent(b []byte, e *event.Event) []byte {
	mask := strBit(fKind, e.Kind) | strBit(fLevel, e.Level) | strBit(fService, e.Service) |
		strBit(fEnv, e.Env) | strBit(fRelease, e.Release) | strBit(fHost, e.Host) |
		strBit(fUserID, e.UserID) | strBit(fAnonymousID, e.AnonymousID) |
		strBit(fSessionID, e.SessionID) | strBit(fRequestID, e.RequestID) |
		strBit(fName, e.Name) | strBit(fMessage, e.Message) |
		strBit(fHTTPMethod, e.HTTPMethod) | strBit(fEndpoint, e.Endpoint) |
		strBit(fErrorType, e.ErrorType) | strBit(fErrorCode, e.ErrorCode) |
		strBit(fFingerprint, e.Fingerprint)
	if !e.TraceID.IsZero() {
		mask |= fTraceID
	}
	if !e.SpanID.IsZero() {
		mask |= fSpanID
	}
	if !e.ParentSpanID.IsZero() {
		mask |= fParentSpanID
	}
	if e.HTTPStatus != 0 {
		mask |= fHTTPStatus
	}
	if math.Float64bits(e.DurationMS) != 0 {
		mask |= fDurationMS
	}
	if e.RetryAttempt != 0 {
		mask |= fRetryAttempt
	}
	if len(e.Attributes) > 0 {
		mask |= fAttributes
	}

	b = binary.AppendUvarint(b, mask)
	b = binary.AppendVarint(b, e.ProjectID)
	b = binary.AppendVarint(b, e.TS)
	b = binary.AppendVarint(b, e.ReceivedAt-e.TS)
	b = appendStr(b, mask&fKind, e.Kind)
	b = appendStr(b, mask&fLevel, e.Level)
	b = appendStr(b, mask&fService, e.Service)
	b = appendStr(b, mask&fEnv, e.Env)
	b = appendStr(b, mask&fRelease, e.Release)
	b = appendStr(b, mask&fHost, e.Host)
	if mask&fTraceID != 0 {
		b = append(b, e.TraceID[:]...)
	}
	if mask&fSpanID != 0 {
		b = append(b, e.SpanID[:]...)
	}
	if mask&fParentSpanID != 0 {
		b = append(b, e.ParentSpanID[:]...)
	}
	b = appendStr(b, mask&fUserID, e.UserID)
	b = appendStr(b, mask&fAnonymousID, e.AnonymousID)
	b = appendStr(b, mask&fSessionID, e.SessionID)
	b = appendStr(b, mask&fRequestID, e.RequestID)
	b = appendStr(b, mask&fName, e.Name)
	b = appendStr(b, mask&fMessage, e.Message)
	b = appendStr(b, mask&fHTTPMethod, e.HTTPMethod)
	b = appendStr(b, mask&fEndpoint, e.Endpoint)
	if mask&fHTTPStatus != 0 {
		b = binary.AppendVarint(b, int64(e.HTTPStatus))
	}
	if mask&fDurationMS != 0 {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.DurationMS))
	}
	b = appendStr(b, mask&fErrorType, e.ErrorType)
	b = appendStr(b, mask&fErrorCode, e.ErrorCode)
	b = appendStr(b, mask&fFingerprint, e.Fingerprint)
	if mask&fRetryAttempt != 0 {
		b = binary.AppendVarint(b, int64(e.RetryAttempt))
	}
	if mask&fAttributes != 0 {
		b = binary.AppendUvarint(b, uint64(len(e.Attributes)))
		for _, a := range e.Attributes {
			b = appendStr(b, 1, a.Key)
			b = appendStr(b, 1, a.Value)
		}
	}
	return b
}

// strBit is bit when s is present.
func strBit(bit uint64, s string) uint64 {
	if s == "" {
		return 0
	}
	return bit
}

// appendStr appends s, length first, when present is non-zero.
func appendStr(b []byte, present uint64, s string) []byte {
	if present == 0 {
		return b
	}
	if len(s) < 0x80 {
		b = append(b, byte(len(s)))
	} else {
		b = binary.AppendUvarint(b, uint64(len(s)))
	}
	return append(b, s...)
}

// eventDecoder reads events out of one record payload. Strings are sliced
// out of src, a single string copy of the payload, so decoding allocates
// once per record rather than once per field.
type eventDecoder struct {
	src string
	off int
}

func (d *eventDecoder) uvarint() (uint64, error) {
	var x uint64
	var s uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= len(d.src) {
			return 0, errShort
		}
		c := d.src[d.off]
		d.off++
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, errors.New("varint overflows 64 bits")
			}
			return x | uint64(c)<<s, nil
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, errors.New("varint overflows 64 bits")
}

func (d *eventDecoder) varint() (int64, error) {
	u, err := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x, err
}

func (d *eventDecoder) varint32() (int32, error) {
	x, err := d.varint()
	if err == nil && (x < math.MinInt32 || x > math.MaxInt32) {
		return 0, fmt.Errorf("value %d overflows int32", x)
	}
	return int32(x), err
}

func (d *eventDecoder) bytes(n int) (string, error) {
	if n < 0 || n > len(d.src)-d.off {
		return "", errShort
	}
	s := d.src[d.off : d.off+n]
	d.off += n
	return s, nil
}

func (d *eventDecoder) str() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(len(d.src)-d.off) {
		return "", errShort
	}
	return d.bytes(int(n))
}

// event decodes one event into e.
func (d *eventDecoder) event(e *event.Event) error {
	mask, err := d.uvarint()
	if err != nil {
		return fmt.Errorf("cannot read field mask: %w", err)
	}
	if mask&^uint64(fAll) != 0 {
		return fmt.Errorf("unknown fields in mask %#x", mask)
	}
	*e = event.Event{}
	if e.ProjectID, err = d.varint(); err != nil {
		return fmt.Errorf("cannot read project_id: %w", err)
	}
	if e.TS, err = d.varint(); err != nil {
		return fmt.Errorf("cannot read ts: %w", err)
	}
	delta, err := d.varint()
	if err != nil {
		return fmt.Errorf("cannot read received_at: %w", err)
	}
	e.ReceivedAt = e.TS + delta
	get := func(bit uint64, name string, dst *string) {
		if err != nil || mask&bit == 0 {
			return
		}
		if *dst, err = d.str(); err != nil {
			err = fmt.Errorf("cannot read %s: %w", name, err)
		}
	}
	id := func(bit uint64, name string, dst []byte) {
		if err != nil || mask&bit == 0 {
			return
		}
		var s string
		if s, err = d.bytes(len(dst)); err != nil {
			err = fmt.Errorf("cannot read %s: %w", name, err)
			return
		}
		copy(dst, s)
	}
	get(fKind, "kind", &e.Kind)
	get(fLevel, "level", &e.Level)
	get(fService, "service", &e.Service)
	get(fEnv, "env", &e.Env)
	get(fRelease, "release", &e.Release)
	get(fHost, "host", &e.Host)
	id(fTraceID, "trace_id", e.TraceID[:])
	id(fSpanID, "span_id", e.SpanID[:])
	id(fParentSpanID, "parent_span_id", e.ParentSpanID[:])
	get(fUserID, "user_id", &e.UserID)
	get(fAnonymousID, "anonymous_id", &e.AnonymousID)
	get(fSessionID, "session_id", &e.SessionID)
	get(fRequestID, "request_id", &e.RequestID)
	get(fName, "name", &e.Name)
	get(fMessage, "message", &e.Message)
	get(fHTTPMethod, "http_method", &e.HTTPMethod)
	get(fEndpoint, "endpoint", &e.Endpoint)
	if err != nil {
		return err
	}
	if mask&fHTTPStatus != 0 {
		if e.HTTPStatus, err = d.varint32(); err != nil {
			return fmt.Errorf("cannot read http_status: %w", err)
		}
	}
	if mask&fDurationMS != 0 {
		s, err := d.bytes(8)
		if err != nil {
			return fmt.Errorf("cannot read duration_ms: %w", err)
		}
		e.DurationMS = math.Float64frombits(binary.LittleEndian.Uint64([]byte(s)))
	}
	get(fErrorType, "error_type", &e.ErrorType)
	get(fErrorCode, "error_code", &e.ErrorCode)
	get(fFingerprint, "fingerprint", &e.Fingerprint)
	if err != nil {
		return err
	}
	if mask&fRetryAttempt != 0 {
		if e.RetryAttempt, err = d.varint32(); err != nil {
			return fmt.Errorf("cannot read retry_attempt: %w", err)
		}
	}
	if mask&fAttributes != 0 {
		n, err := d.uvarint()
		if err != nil {
			return fmt.Errorf("cannot read attribute count: %w", err)
		}
		// Each attribute takes at least two bytes, which bounds n by
		// the input before we allocate for it.
		if n == 0 || n > uint64(len(d.src)-d.off)/2 {
			return fmt.Errorf("bad attribute count %d", n)
		}
		e.Attributes = make([]event.Attr, n)
		for i := range e.Attributes {
			a := &e.Attributes[i]
			if a.Key, err = d.str(); err != nil {
				return fmt.Errorf("cannot read key of attribute %d: %w", i, err)
			}
			if a.Value, err = d.str(); err != nil {
				return fmt.Errorf("cannot read value of attribute %q: %w", a.Key, err)
			}
		}
	}
	return nil
}
