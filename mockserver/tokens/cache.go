package tokens

import "sync"

// verifiedCache remembers the claims of tokens whose signature verified, keyed by the exact token
// string and the key that verified it. A client presents the same token on every call, and
// decoding and verifying it was the largest cost of a protected call (docs/benchmarks.md). What a
// hit skips depends only on the token and the key: the signature and the decoding. Everything
// that depends on the clock (exp, nbf, iat) is validated again on every use, and revocation is
// the store's question, asked by the caller as before. A tampered token is another string, so it
// misses and is verified; a new key (reset, restart) empties the cache.
type verifiedCache struct {
	mu  sync.RWMutex
	key *keySet // the key the entries were verified with
	m   map[string]*Claims
}

// cacheSize bounds the cache; when full it starts over, which costs one verification per
// live token and keeps memory flat whatever the clients do.
const cacheSize = 8192

func (v *verifiedCache) get(token string, key *keySet) (*Claims, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.key != key {
		return nil, false
	}
	c, ok := v.m[token]
	return c, ok
}

func (v *verifiedCache) put(token string, key *keySet, c *Claims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.key != key || v.m == nil || len(v.m) >= cacheSize {
		// Sized for the whole run up to cacheSize: every login puts its token here, and a map
		// grown from small rehashed its entries at each doubling, on the request path.
		v.key, v.m = key, make(map[string]*Claims, cacheSize)
	}
	v.m[token] = c
}
