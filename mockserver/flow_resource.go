package mockserver

// resource answers any other protected operation once authentication has passed: the flow's body
// rendered with the caller's account, else the documented example of the success response, else a
// value built from its schema (prepared in New).
func (s *Server) resource(c *call) error {
	c.reply(c.op.flow.Status, c.successBody(c.who.account))
	return nil
}
