package mockserver

import (
	"crypto/rand"
	"log/slog"
	"strings"
	"time"

	"github.com/authconform/authconform/mockserver/store"
	"github.com/authconform/authconform/specs"
)

// keyPrefix starts every created API key, so a key is easy to tell from a JWT in logs and headers.
const keyPrefix = "ak_"

// createKey creates an API key for the caller. The key authenticates as the caller wherever the
// spec's schemes accept apiKey, until it is deleted.
func (s *Server) createKey(c *call) error {
	// parse
	f := c.op.flow
	name := ""
	if f.KeyName != nil {
		v, found, err := c.read(*f.KeyName)
		if err != nil {
			return err
		}
		if found {
			name = v
		}
	}

	// issue
	m := c.op.m
	token := keyPrefix + rand.Text() + rand.Text()
	k := APIKey{
		ID: newID(), Scope: m.spec.Name, AccountID: c.who.account.ID, Name: name,
		Token: token, Hash: store.KeyHash(token), Created: s.clock.Now().UTC().Truncate(time.Second),
	}
	if err := s.store.AddKey(c.r.Context(), k); err != nil {
		return err
	}
	if s.log.Enabled(c.r.Context(), slog.LevelDebug) {
		s.log.Debug("api key created", "spec", m.spec.Name, "account", k.AccountID, "key", redact(k.Token))
	}

	// write
	noStore(c.w)
	c.reply(f.Status, prune(f.Body.Render(keyResolver(c.who.account, k, c.now()))))
	return nil
}

// listKeys lists the caller's keys created at run time, and only the caller's.
func (s *Server) listKeys(c *call) error {
	f := c.op.flow
	keys, err := s.store.Keys(c.r.Context(), c.op.m.spec.Name, c.who.account.ID)
	if err != nil {
		return err
	}
	now := c.now()
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, prune(f.Item.Render(keyResolver(c.who.account, k, now))))
	}
	noStore(c.w)
	c.reply(f.Status, out)
	return nil
}

// deleteKey deletes one of the caller's keys. An unknown key, or another account's, answers
// notFound and changes nothing.
func (s *Server) deleteKey(c *call) error {
	// parse
	f := c.op.flow
	token, found, err := c.read(*f.KeyValue)
	if err != nil {
		return err
	}
	if !found || token == "" {
		return fail(specs.FailInvalidRequest, "%s: required, expected the key to delete", f.KeyValue)
	}

	// check and act
	deleted, err := s.store.DeleteKey(c.r.Context(), c.op.m.spec.Name, c.who.account.ID, store.KeyHash(token))
	if err != nil {
		return err
	}
	if !deleted {
		return fail(specs.FailNotFound, "%s: no key of yours has this value", f.KeyValue)
	}

	// write
	c.reply(f.Status, c.successBody(c.who.account))
	return nil
}

// keyResolver answers key.<field> besides account.<field> and now.
func keyResolver(acc *specs.Account, k APIKey, now string) specs.Resolver {
	base := accountResolver(acc, now)
	return func(ref string) (any, bool) {
		field, ok := strings.CutPrefix(ref, "key.")
		if !ok {
			return base(ref)
		}
		switch field {
		case "id":
			return k.ID, true
		case "name":
			return k.Name, true
		case "token":
			return k.Token, true
		case "created":
			return k.Created.Format(time.RFC3339), true
		}
		return nil, false
	}
}

// newID is a random UUID (version 4) for created objects.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[x>>4], hex[x&0x0f])
	}
	return string(out)
}
