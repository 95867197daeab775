// Package redisstore is a store.Store on Redis (github.com/redis/go-redis/v9), so that several
// replicas of the mock share their state: a logout on one is refused on the other at once, a
// refresh token is used once across all of them, an API key made on one works on every one.
//
// # Keys
//
// Every key starts with the prefix (serve --store-prefix, default "authconform:"; several mocks
// share one Redis by choosing different prefixes, none a prefix of another), then the world
// ("default" for the mock's default world, a sandbox's id for a sandbox's: World), then the scope
// (the spec's name) and the concern (shared.go lists the keys of the rest of a world's state):
//
//	{prefix}{world}:{scope}:gen:{account}   string, an integer: the account's generation (INCR); no expiry
//	{prefix}{world}:{scope}:rev:{id}        "1": a session or token ended by a logout; expires (below)
//	{prefix}{world}:{scope}:used:{jti}      "1": a refresh token a rotation consumed (SET NX); expires
//	{prefix}{world}:{scope}:key:{sha256}    JSON: an API key created at run time; no expiry
//	{prefix}{world}:{scope}:owns:{account}  set of the SHA-256 of the account's keys; no expiry
//
// A scope's ':' and '%' are escaped (%3A, %25), so no scope's keys reach into another's; ids and
// accounts stand last and need no escape. Reset deletes the world's keys alone (SCAN MATCH
// {prefix}{world}:* and UNLINK), so another world or another mock on the same Redis keeps its own.
//
// # Expiries
//
// What a logout or a rotation writes (rev, used) expires, so Redis cleans up after tokens that
// have expired, but not before the mock's movable clock can no longer bring the token back: the
// admin API can set the clock back into a token's lifetime after its expiry, and a forgotten
// revocation would let a logged-out session or a used refresh token work again. So the TTL,
// counted on real time from the write, is
//
//	until - min(real now, mock now) + Margin (24 h)
//
// (until: when the token expires on the mock's clock): the entry outlives its token by the
// margin however far ahead or behind the mock's clock stands at the write. The limit that
// remains: once that TTL has passed in real time, setting the mock's clock back by more than
// the margin, into the token's lifetime, may make the token work again. A reset avoids it (it
// replaces random signing keys, so the old tokens are refused anyway).
//
// Generations have no expiry: forgetting one puts the account back at generation 0, which makes
// every token issued before its first logout work again. There is one per account that ever
// logged out with a password or an API key, a few bytes each, until a reset. API keys live until
// deleted, as in memory.
//
// # Atomicity
//
// UseRefresh is one SET NX with its expiry: of two replicas presenting the same refresh token at
// once, exactly one sees the first use. A revocation is SET NX (and EXPIRE GT, so a second logout
// never shortens the first's TTL) in one MULTI. An API key and its owner's set change together in
// a MULTI under WATCH of the key (optimistic; retried a bounded number of times). Check, what a
// protected call asks, is one MGET: one round trip.
//
// # Failures
//
// Every error of Redis (unreachable, timeout, a reply error) is returned wrapped as
// store.ErrUnavailable; the mock answers such a request 503. go-redis reconnects by itself, so
// service resumes when Redis is back; nothing here caches a connection or a failure.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authconform/authconform/mockserver/clock"
	"github.com/authconform/authconform/mockserver/store"
)

// DefaultPrefix starts every key unless the caller chooses another.
const DefaultPrefix = "authconform:"

// DefaultWorld is the world of a mock's default sandbox.
const DefaultWorld = "default"

// Margin is how long a revocation or a used refresh token outlives its token (see Expiries).
const Margin = 24 * time.Hour

// maxWatchRetries bounds the optimistic transactions of AddKey and DeleteKey: a retry happens
// only when another client changed the same key between the read and the write.
const maxWatchRetries = 50

// Store is a store.Store on Redis. It is safe for concurrent use; the client it is given is
// shared (World) and closed by its owner (Close, for a Store made by Open).
type Store struct {
	c     redis.UniversalClient
	clock clock.Clock
	now   func() time.Time // real time, for TTLs
	base  string           // {prefix}{world}:
	owns  bool             // Close closes the client
	desc  string           // what String shows: no password

	prefix string // {prefix}
	world  string // the sandbox id, DefaultWorld for the default world
	hub    *hub   // changes between replicas, shared by every world of the client (shared.go)
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Remote = (*Store)(nil)
)

// New returns the default world's store on client c, under prefix ("" for DefaultPrefix), on the
// mock's clock c (for the expiries). The caller keeps c and closes it.
func New(c redis.UniversalClient, clk clock.Clock, prefix string) *Store {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Store{c: c, clock: clk, now: time.Now, base: prefix + DefaultWorld + ":", desc: "redis",
		prefix: prefix, world: DefaultWorld, hub: newHub(c, prefix)}
}

// World is the store of another world (a sandbox's id) on the same client and prefix: its keys
// are {prefix}{id}:..., and its Reset leaves every other world's alone. id must not hold ':'.
func (s *Store) World(id string, clk clock.Clock) *Store {
	return &Store{c: s.c, clock: clk, now: s.now, base: s.prefix + id + ":", desc: s.desc, prefix: s.prefix, world: id, hub: s.hub}
}

// Close closes the client when the Store made it (Open); otherwise it does nothing.
func (s *Store) Close() error {
	if !s.owns {
		return nil
	}
	s.hub.close()
	return s.c.Close()
}

// String describes the store for logs: redis, its address and database, never a password.
func (s *Store) String() string { return s.desc }

// Kind implements store.Remote.
func (s *Store) Kind() string { return "redis" }

// Ping implements store.Remote.
func (s *Store) Ping(ctx context.Context) error { return fail(s.c.Ping(ctx).Err()) }

// fail wraps an error of Redis as store.ErrUnavailable.
func fail(err error) error {
	if err == nil {
		return nil
	}
	return store.Unavailable(err)
}

// scopeEscaper keeps a scope's keys from reaching into another's.
var scopeEscaper = strings.NewReplacer("%", "%25", ":", "%3A")

// key names something of a scope: {prefix}{world}:{scope}:{kind}:{id}.
func (s *Store) key(scope, kind, id string) string {
	if strings.ContainsAny(scope, ":%") {
		scope = scopeEscaper.Replace(scope)
	}
	var b strings.Builder
	b.Grow(len(s.base) + len(scope) + len(kind) + len(id) + 2)
	b.WriteString(s.base)
	b.WriteString(scope)
	b.WriteByte(':')
	b.WriteString(kind)
	b.WriteByte(':')
	b.WriteString(id)
	return b.String()
}

// ttl is how long a revocation or a used refresh token of a token expiring at until (on the
// mock's clock) is kept, on real time (see Expiries).
func (s *Store) ttl(until time.Time) time.Duration {
	from := s.now()
	if mock := s.clock.Now(); mock.Before(from) {
		from = mock
	}
	left := until.Sub(from) // saturates at the bounds of a Duration
	if left <= 0 {
		return Margin
	}
	if left > math.MaxInt64-Margin {
		return math.MaxInt64 / 2 // centuries: PX takes milliseconds in an int64 anyway
	}
	return left + Margin
}

// Generation implements store.Generations.
func (s *Store) Generation(ctx context.Context, scope, accountID string) (uint64, error) {
	v, err := s.c.Get(ctx, s.key(scope, "gen", accountID)).Uint64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return v, fail(err)
}

// RevokeAccount implements store.Generations.
func (s *Store) RevokeAccount(ctx context.Context, scope, accountID string) error {
	return fail(s.c.Incr(ctx, s.key(scope, "gen", accountID)).Err())
}

// RevokeSession implements store.Revocations.
func (s *Store) RevokeSession(ctx context.Context, scope, id string, until time.Time) error {
	k, ttl := s.key(scope, "rev", id), s.ttl(until)
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SetNX(ctx, k, "1", ttl)
		p.ExpireGT(ctx, k, ttl) // revoked before: keep the longer of the two TTLs
		return nil
	})
	return fail(err)
}

// Revoked implements store.Revocations.
func (s *Store) Revoked(ctx context.Context, scope, id string) (bool, error) {
	n, err := s.c.Exists(ctx, s.key(scope, "rev", id)).Result()
	return n > 0, fail(err)
}

// Check implements store.Checks: one MGET of the generation and every id's revocation.
func (s *Store) Check(ctx context.Context, scope, accountID string, ids ...string) (uint64, bool, error) {
	keys := make([]string, 1, 1+len(ids))
	keys[0] = s.key(scope, "gen", accountID)
	for _, id := range ids {
		keys = append(keys, s.key(scope, "rev", id))
	}
	vals, err := s.c.MGet(ctx, keys...).Result()
	if err != nil {
		return 0, false, fail(err)
	}
	var gen uint64
	if v, ok := vals[0].(string); ok {
		if gen, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, false, fail(fmt.Errorf("generation %s: %w", keys[0], err))
		}
	}
	for _, v := range vals[1:] {
		if v != nil {
			return gen, true, nil
		}
	}
	return gen, false, nil
}

// UseRefresh implements store.RefreshTokens: SET NX, atomic across every client of the Redis.
func (s *Store) UseRefresh(ctx context.Context, scope, jti string, until time.Time) (bool, error) {
	first, err := s.c.SetNX(ctx, s.key(scope, "used", jti), "1", s.ttl(until)).Result()
	return first, fail(err)
}

// storedKey is an API key as it is stored (JSON): every field of store.APIKey.
type storedKey struct {
	ID        string    `json:"id"`
	Scope     string    `json:"scope"`
	AccountID string    `json:"account"`
	Name      string    `json:"name,omitempty"`
	Token     string    `json:"token"`
	Hash      string    `json:"hash"`
	Created   time.Time `json:"created"`
}

func decodeKey(raw string) (store.APIKey, error) {
	var k storedKey
	if err := json.Unmarshal([]byte(raw), &k); err != nil {
		return store.APIKey{}, fmt.Errorf("a stored API key does not decode: %w", err)
	}
	return store.APIKey(k), nil
}

// watch runs fn in an optimistic transaction on keys, again when another client changed them
// meanwhile, at most maxWatchRetries times.
func (s *Store) watch(ctx context.Context, fn func(*redis.Tx) error, keys ...string) error {
	for range maxWatchRetries {
		err := s.c.Watch(ctx, fn, keys...)
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
	}
	return fmt.Errorf("%s changed under %d transactions in a row", keys[0], maxWatchRetries)
}

// AddKey implements store.APIKeys: the key and its owner's set in one transaction; a key added
// again leaves its former owner's set in the same one.
func (s *Store) AddKey(ctx context.Context, k store.APIKey) error {
	val, err := json.Marshal(storedKey(k))
	if err != nil {
		return err
	}
	kk := s.key(k.Scope, "key", k.Hash)
	return fail(s.watch(ctx, func(tx *redis.Tx) error {
		old, err := tx.Get(ctx, kk).Result()
		var prev store.APIKey
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return err
		default:
			if prev, err = decodeKey(old); err != nil {
				return err
			}
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if prev.AccountID != "" && prev.AccountID != k.AccountID {
				p.SRem(ctx, s.key(k.Scope, "owns", prev.AccountID), k.Hash)
			}
			p.Set(ctx, kk, val, 0)
			p.SAdd(ctx, s.key(k.Scope, "owns", k.AccountID), k.Hash)
			return nil
		})
		return err
	}, kk))
}

// Keys implements store.APIKeys: the owner's set, then its keys in one MGET. A key deleted or
// moved to another owner between the two is left out.
func (s *Store) Keys(ctx context.Context, scope, accountID string) ([]store.APIKey, error) {
	hashes, err := s.c.SMembers(ctx, s.key(scope, "owns", accountID)).Result()
	if err != nil {
		return nil, fail(err)
	}
	out := []store.APIKey{}
	if len(hashes) == 0 {
		return out, nil
	}
	keys := make([]string, len(hashes))
	for i, h := range hashes {
		keys[i] = s.key(scope, "key", h)
	}
	vals, err := s.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fail(err)
	}
	for _, v := range vals {
		raw, ok := v.(string)
		if !ok {
			continue
		}
		k, err := decodeKey(raw)
		if err != nil {
			return nil, fail(err)
		}
		if k.AccountID == accountID {
			out = append(out, k)
		}
	}
	store.SortKeys(out)
	return out, nil
}

// KeyByHash implements store.APIKeys.
func (s *Store) KeyByHash(ctx context.Context, scope, hash string) (store.APIKey, bool, error) {
	raw, err := s.c.Get(ctx, s.key(scope, "key", hash)).Result()
	if errors.Is(err, redis.Nil) {
		return store.APIKey{}, false, nil
	}
	if err != nil {
		return store.APIKey{}, false, fail(err)
	}
	k, err := decodeKey(raw)
	if err != nil {
		return store.APIKey{}, false, fail(err)
	}
	return k, true, nil
}

// DeleteKey implements store.APIKeys: the key and its owner's set in one transaction, if the
// account owns it.
func (s *Store) DeleteKey(ctx context.Context, scope, accountID, hash string) (bool, error) {
	kk := s.key(scope, "key", hash)
	deleted := false
	err := s.watch(ctx, func(tx *redis.Tx) error {
		deleted = false
		raw, err := tx.Get(ctx, kk).Result()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return err
		}
		k, err := decodeKey(raw)
		if err != nil {
			return err
		}
		if k.AccountID != accountID {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, kk)
			p.SRem(ctx, s.key(scope, "owns", accountID), hash)
			return nil
		})
		deleted = err == nil
		return err
	}, kk)
	return deleted, fail(err)
}

// globEscaper escapes what SCAN MATCH would read as a pattern.
var globEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)

// resetBatch is how many keys a SCAN step asks for and an UNLINK deletes at once.
const resetBatch = 1000

// Reset implements store.Store: every key of this world, and only those (SCAN MATCH and UNLINK,
// which frees the memory in the background). A write that another replica makes while the scan
// runs may survive it.
func (s *Store) Reset(ctx context.Context) error {
	match := globEscaper.Replace(s.base) + "*"
	var cursor uint64
	for {
		keys, next, err := s.c.Scan(ctx, cursor, match, resetBatch).Result()
		if err != nil {
			return fail(err)
		}
		if len(keys) > 0 {
			if err := s.c.Unlink(ctx, keys...).Err(); err != nil {
				return fail(err)
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}
