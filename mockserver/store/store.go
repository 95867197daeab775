package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Generations numbers the generations of an account: every token carries the generation it was
// issued in, and a logout with a password or an API key moves the account to a new one, ending
// every token issued before.
type Generations interface {
	// Generation is the account's current generation (0 for an account never revoked).
	Generation(ctx context.Context, scope, accountID string) (uint64, error)
	// RevokeAccount ends every session of an account by moving it to a new generation.
	RevokeAccount(ctx context.Context, scope, accountID string) error
}

// Revocations remembers sessions (and single access tokens, by their jti) ended by a logout.
type Revocations interface {
	// RevokeSession ends a session or a token; until is when its last token expires anyway.
	RevokeSession(ctx context.Context, scope, id string, until time.Time) error
	// Revoked reports whether RevokeSession ended that session or token.
	Revoked(ctx context.Context, scope, id string) (bool, error)
}

// RefreshTokens remembers single-use refresh tokens a rotating refresh consumed.
type RefreshTokens interface {
	// UseRefresh consumes a refresh token by its jti: true the first time only. until is when the
	// token expires anyway.
	UseRefresh(ctx context.Context, scope, jti string, until time.Time) (bool, error)
}

// APIKeys keeps the API keys created at run time, indexed by the SHA-256 of their token
// (KeyHash), so a lookup never compares secrets byte by byte.
type APIKeys interface {
	// AddKey stores a key; the same key added again (its hash) replaces it, owner included.
	AddKey(ctx context.Context, k APIKey) error
	// Keys lists the keys of an account, oldest first (then by id).
	Keys(ctx context.Context, scope, accountID string) ([]APIKey, error)
	// KeyByHash finds a key by the hash of its token.
	KeyByHash(ctx context.Context, scope, hash string) (APIKey, bool, error)
	// DeleteKey removes the key with that hash if, and only if, the account owns it.
	DeleteKey(ctx context.Context, scope, accountID, hash string) (bool, error)
}

// Checks answer, in one question, what a protected call asks of the store about a verified token:
// its account's generation and whether any of its ids (its session, its jti) was revoked. A
// store outside the process answers it in one round trip.
type Checks interface {
	// Check returns the account's generation (as Generation) and whether RevokeSession ended any
	// of ids (as Revoked, for each).
	Check(ctx context.Context, scope, accountID string, ids ...string) (gen uint64, revoked bool, err error)
}

// Store is every concern at once, and Reset, which forgets everything (the admin API's reset):
// the flows' state and the world's shared state (shared.go).
type Store interface {
	Generations
	Revocations
	RefreshTokens
	APIKeys
	Clocks
	SigningKeys
	OpaqueTokens
	AccountLists
	FaultQueue
	Changes
	Checks
	Reset(ctx context.Context) error
}

// Remote is a store outside the process, which can be out of reach: the health endpoint asks it.
// A store that is not one (the memory store) is always reachable.
type Remote interface {
	// Kind names the store for people ("redis"), without address or credentials.
	Kind() string
	// Ping fails (with ErrUnavailable) when the store cannot be reached.
	Ping(ctx context.Context) error
}

// ErrUnavailable is what a store's error wraps when the state could not be read or written
// because the store cannot be reached or failed (Redis down, a timeout). The mock answers such a
// request 503, never a refusal or a success it could not check.
var ErrUnavailable = errors.New("the store is unavailable")

// Unavailable wraps err as an ErrUnavailable.
func Unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// APIKey is a key created at run time.
type APIKey struct {
	ID        string
	Scope     string
	AccountID string
	Name      string
	Token     string
	Hash      string // KeyHash(Token)
	Created   time.Time
}

// KeyHash is how stores index API keys: the hex SHA-256 of the token.
func KeyHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
