package meta

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Passwords are hashed with argon2id at OWASP's recommended minimum
// (19 MiB, two passes, one lane) and stored in the PHC string format, so the
// parameters can be raised later without breaking stored hashes.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	// MinPasswordLen is the shortest password a user may set.
	MinPasswordLen = 10
)

var b64 = base64.RawStdEncoding

// HashPassword returns the argon2id hash of a password, with a fresh salt.
func HashPassword(pw string) (string, error) {
	if len(pw) < MinPasswordLen {
		return "", fmt.Errorf("password too short: %d characters, at least %d", len(pw), MinPasswordLen)
	}
	if len(pw) > 1024 {
		return "", fmt.Errorf("password too long: %d characters, at most 1024", len(pw))
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	h := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(h)), nil
}

// errBadHash is a stored hash that is not argon2id's PHC string.
var errBadHash = errors.New("stored password hash is not an argon2id PHC string")

// CheckPassword says whether pw matches an argon2id hash, comparing in
// constant time. An empty hash (a user who has not set a password yet)
// matches nothing.
func CheckPassword(hash, pw string) (bool, error) {
	if hash == "" {
		return false, nil
	}
	ph, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), ph.salt, ph.t, ph.m, ph.p, uint32(len(ph.hash)))
	return subtle.ConstantTimeCompare(got, ph.hash) == 1, nil
}

// phc is a parsed argon2id PHC string.
type phc struct {
	m, t       uint32
	p          uint8
	salt, hash []byte
}

// parsePHC reads "$argon2id$v=19$m=…,t=…,p=…$salt$hash", refusing
// parameters past 1 GiB of memory or 16 passes.
func parsePHC(s string) (phc, error) {
	var ph phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return ph, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return ph, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &ph.m, &ph.t, &ph.p); err != nil || ph.m == 0 || ph.t == 0 || ph.p == 0 || ph.m > 1<<20 || ph.t > 16 {
		return ph, errBadHash
	}
	var err error
	if ph.salt, err = b64.DecodeString(parts[4]); err != nil {
		return ph, errBadHash
	}
	if ph.hash, err = b64.DecodeString(parts[5]); err != nil || len(ph.hash) == 0 || len(ph.hash) > 1024 {
		return ph, errBadHash
	}
	return ph, nil
}
