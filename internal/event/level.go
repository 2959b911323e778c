package event

import (
	"strconv"
	"strings"
)

// NormalizeLevel maps a level as loggers spell it onto one of the Level*
// constants: words in any case (trace, dbg, information, notice, warning,
// err, severe, critical, crit, panic, dpanic, alert, emerg, …), their
// one-letter forms (D, I, W, E, F), pino and bunyan numbers (10 trace,
// 20 debug, 30 info, 40 warn, 50 error, 60 fatal) and slog's offsets
// ("INFO+2", "DEBUG-4", "WARN+4"). ok is false when v is not a level.
func NormalizeLevel(v string) (level string, ok bool) {
	if len(v) > 0 && (v[0] == ' ' || v[len(v)-1] == ' ') {
		v = strings.TrimSpace(v) // ECS loggers may pad " WARN" to align messages
	}
	if len(v) == 0 || len(v) > 24 {
		return "", false
	}
	if c := v[0]; c >= '0' && c <= '9' {
		n, err := strconv.Atoi(v)
		if err != nil {
			return "", false
		}
		return pinoLevel(n)
	}
	var buf [24]byte
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	low := buf[:n]
	if l, ok := levelWord(string(low)); ok {
		return l, true
	}
	// slog: "INFO+2", "DEBUG-4".
	for i := 1; i < len(low); i++ {
		if low[i] != '+' && low[i] != '-' {
			continue
		}
		base, ok := slogBase(string(low[:i]))
		if !ok {
			return "", false
		}
		off, err := strconv.Atoi(string(low[i+1:]))
		if err != nil {
			return "", false
		}
		if low[i] == '-' {
			off = -off
		}
		return slogLevel(base + off), true
	}
	return "", false
}

func levelWord(s string) (string, bool) {
	switch s {
	case "trace", "trc", "debug", "dbg", "verbose", "vrb", "fine", "finer", "finest", "d", "t", "v":
		return LevelDebug, true
	case "info", "inf", "information", "informational", "notice", "i", "n":
		return LevelInfo, true
	case "warn", "warning", "wrn", "w":
		return LevelWarn, true
	case "error", "err", "eror", "erro", "severe", "failure", "e":
		return LevelError, true
	case "fatal", "ftl", "critical", "crit", "crt", "panic", "dpanic", "alert", "emerg", "emergency", "f", "c":
		return LevelFatal, true
	}
	return "", false
}

func slogBase(s string) (int, bool) {
	switch s {
	case "debug":
		return -4, true
	case "info":
		return 0, true
	case "warn":
		return 4, true
	case "error":
		return 8, true
	}
	return 0, false
}

// slogLevel maps a log/slog level number (DEBUG -4, INFO 0, WARN 4,
// ERROR 8) onto a Level* constant.
func slogLevel(n int) string {
	switch {
	case n < 0:
		return LevelDebug
	case n < 4:
		return LevelInfo
	case n < 8:
		return LevelWarn
	default:
		return LevelError
	}
}

// pinoLevel maps pino's and bunyan's numeric levels.
func pinoLevel(n int) (string, bool) {
	switch {
	case n < 10 || n > 69:
		return "", false
	case n < 30:
		return LevelDebug, true
	case n < 40:
		return LevelInfo, true
	case n < 50:
		return LevelWarn, true
	case n < 60:
		return LevelError, true
	default:
		return LevelFatal, true
	}
}

// SyslogSeverityLevel maps a syslog severity (RFC 5424: 0 emergency …
// 7 debug) onto a Level* constant.
func SyslogSeverityLevel(n int) (string, bool) {
	switch {
	case n < 0 || n > 7:
		return "", false
	case n <= 2:
		return LevelFatal, true
	case n == 3:
		return LevelError, true
	case n == 4:
		return LevelWarn, true
	case n <= 6:
		return LevelInfo, true
	default:
		return LevelDebug, true
	}
}

// OTelSeverityLevel maps an OpenTelemetry SeverityNumber (1–24: TRACE,
// DEBUG, INFO, WARN, ERROR, FATAL in blocks of four) onto a Level*
// constant.
func OTelSeverityLevel(n int) (string, bool) {
	switch {
	case n < 1 || n > 24:
		return "", false
	case n <= 8:
		return LevelDebug, true
	case n <= 12:
		return LevelInfo, true
	case n <= 16:
		return LevelWarn, true
	case n <= 20:
		return LevelError, true
	default:
		return LevelFatal, true
	}
}

// ValidKind reports whether k is one of the Kind* constants.
func ValidKind(k string) bool {
	switch k {
	case KindLog, KindSpan, KindError, KindEvent, KindPageview, KindCheck:
		return true
	}
	return false
}
