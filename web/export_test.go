package web

// Patterns returns the route table's patterns, in the order routes()
// registers them, so tests compare the real table with the OpenAPI document.
func (s *Server) Patterns() []string { return s.patterns }
