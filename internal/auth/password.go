package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// DefaultArgon2 is used for new hashes: OWASP's first recommended argon2id
// configuration (19 MiB, 2 passes, 1 lane). On the reference 2-core server
// one hash takes 24–31 ms and 19 MiB; the former RFC 9106 option (64 MiB,
// t=3, p=2) took 190–250 ms and 64 MiB, so 200 logins at 8:00 cost 40 s
// of CPU and, unbounded, 12.5 GiB (docs/performance.md "Sign-in storm").
// Among OWASP's equivalent options (46 MiB t=1, 19 MiB t=2, 12 MiB t=3,
// 9 MiB t=4, 7 MiB t=5, all p=1) this one is the fastest but one, and the
// smaller ones trade memory hardness, the point of argon2, for nothing
// measurable. A stored hash with other parameters is upgraded at the next
// successful login (NeedsRehash).
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// MinPasswordLength is the shortest password accepted on change.
const MinPasswordLength = 10

// HashPassword returns an argon2id hash in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$key), so parameters can change later.
func HashPassword(password string, p Argon2Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// NeedsRehash reports whether the PHC-encoded hash was made with other cost
// parameters than p (or is not readable), so a successful login should store
// a new one.
func NeedsRehash(encoded string, p Argon2Params) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return true
	}
	want := fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
	return parts[3] != want || parts[2] != fmt.Sprintf("v=%d", argon2.Version)
}

// VerifyPassword reports whether password matches the PHC-encoded hash.
func VerifyPassword(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("verify password: %w", ErrBadHash)
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("verify password: version: %w", ErrBadHash)
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("verify password: params: %w", ErrBadHash)
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("verify password: salt: %w", ErrBadHash)
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("verify password: key: %w", ErrBadHash)
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
