package mockserver

import (
	"slices"
	"strconv"
	"strings"

	"github.com/authconform/authconform/specs"
)

// checkFixed holds a login or refresh to the values its flow fixes (grant_type=password): an
// absent one is an invalid request, another value the fixed value's failure (unsupportedGrant).
// The mock checks them before the schema, so a schema's enum of the one grant type still answers
// RFC 6749's unsupported_grant_type rather than invalid_request.
func (c *call) checkFixed() error {
	for _, fx := range c.op.flow.Fixed {
		v, found, err := c.read(fx.Location)
		switch {
		case err != nil:
			return err
		case !found:
			return fail(specs.FailInvalidRequest, "%s: required, expected %q", fx.Location, fx.Value)
		case v != fx.Value:
			return fail(fx.Failure, "%s: %q is not supported, expected %s", fx.Location, v, c.fixedValues(fx.Location))
		}
	}
	return nil
}

// fixedValues names the values a location may take: the flow's, or, on an operation serving
// several flows, each flow's ("password" or "refresh_token").
func (c *call) fixedValues(l specs.Location) string {
	var vals []string
	for _, o := range append([]*operation{c.op}, c.op.flows...) {
		for _, fx := range o.flow.Fixed {
			if q := strconv.Quote(fx.Value); fx.Location == l && !slices.Contains(vals, q) {
				vals = append(vals, q)
			}
		}
	}
	return strings.Join(vals, " or ")
}

// pickFlow chooses, for an operation that serves several flows, the one whose fixed values the
// request carries; none does: the first, whose checkFixed then says what was wrong.
func (c *call) pickFlow() *operation {
	first := c.op
	for _, o := range first.flows {
		c.op = o
		if c.checkFixed() == nil {
			return o
		}
	}
	return first
}

// authenticateClient checks the client of a login or refresh (RFC 6749 2.3): its id and secret
// from the request, or as HTTP Basic credentials where the flow allows them. An unknown client,
// a wrong secret, or two ways at once answer invalidClient; a refusal of Basic credentials
// carries a Basic challenge (RFC 6749 5.2).
func (c *call) authenticateClient() error {
	ca := c.op.flow.Client
	if ca == nil {
		return nil
	}
	id, idFound, err := c.read(ca.ID)
	if err != nil {
		return err
	}
	var secret string
	sent := false // a secret came with the request
	if where := ca.Secret; where != nil {
		if secret, sent, err = c.read(*where); err != nil {
			return err
		}
	}
	basicID, basicSecret, basic := c.r.BasicAuth()
	basic = basic && ca.Basic
	switch {
	case basic && (idFound && id != basicID || sent):
		return c.clientRefused(basic, "the client authenticated in two ways at once (RFC 6749 2.3)")
	case basic:
		id, idFound, secret, sent = basicID, true, basicSecret, true
	}
	if !idFound || id == "" {
		return c.clientRefused(basic, "%s: no client id", ca.ID)
	}
	for _, cl := range c.op.m.spec.Clients {
		if cl.ID != id {
			continue
		}
		if cl.Secret == "" && !sent {
			return nil // a public client
		}
		if sent && secretEqual(secret, cl.Secret) {
			return nil
		}
		return c.clientRefused(basic, "wrong client secret")
	}
	return c.clientRefused(basic, "no client with this id")
}

// clientRefused is invalidClient, with a Basic challenge when the client tried Basic.
func (c *call) clientRefused(basic bool, format string, args ...any) error {
	if basic {
		c.w.Header().Set("WWW-Authenticate", `Basic realm="`+c.op.m.spec.Name+`"`)
	}
	return fail(specs.FailInvalidClient, format, args...)
}

// checkBinds holds an authenticated request to the values its flow binds to the account (a tenant
// in the body): missing, boundMissing; another account's, boundMismatch.
func (c *call) checkBinds() error {
	for _, b := range c.op.flow.Binds {
		v, found, err := c.read(b.Location)
		if err != nil {
			return err
		}
		if !found || v == "" {
			return fail(specs.FailBoundMissing, "%s is required with this credential", b.Location)
		}
		if want, ok := fieldString(c.who.account, b.Field); !ok || v != want {
			return fail(specs.FailBoundMismatch, "%s does not match the credential's %s", b.Location, b.Field)
		}
	}
	return nil
}
