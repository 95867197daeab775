package mockserver

import "encoding/json"

// jwks publishes the public key the spec's tokens are signed with, as a JSON Web Key Set
// (RFC 7517), so a relying party verifies them as it would a real identity server's. A reset's
// new key replaces it, kid included.
func (s *Server) jwks(c *call) error {
	set, err := c.op.m.iss.JWKS()
	if err != nil {
		return err
	}
	c.reply(c.op.flow.Status, json.RawMessage(set))
	return nil
}
