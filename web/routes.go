package web

import "net/http"

// routes is the whole HTTP surface, one line a route. "who" is enforced by
// the wrapper: platform() for platform-only routes, account() for routes
// an account's API key may use on its own account.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.patterns = nil
	handle := func(pattern string, h handlerFunc) {
		s.patterns = append(s.patterns, pattern)
		mux.Handle(pattern, s.adapt(h))
	}

	handle("GET /healthz", s.healthz)
	handle("GET /readyz", s.readyz)
	if s.metrics != nil {
		mux.Handle("GET /metrics", s.metrics.Handler())
	}

	handle("GET /api/openapi.json", s.getOpenAPI) // no credentials: tools read it first
	handle("GET /api/v1/accounts", s.platform(s.listAccounts))
	handle("PUT /api/v1/accounts/{account_id}", s.platform(s.putAccount))
	handle("GET /api/v1/accounts/{account_id}", s.account(s.getAccount))
	handle("GET /api/v1/accounts/{account_id}/company", s.account(s.getCompany))
	handle("PUT /api/v1/accounts/{account_id}/company", s.account(s.putCompany))
	handle("GET /api/v1/accounts/{account_id}/notifications", s.account(s.getNotifications))
	handle("PUT /api/v1/accounts/{account_id}/notifications", s.account(s.putNotifications))
	handle("POST /api/v1/accounts/{account_id}/api-keys", s.platform(s.createAPIKey))
	handle("GET /api/v1/accounts/{account_id}/api-keys", s.platform(s.listAPIKeys))
	handle("DELETE /api/v1/accounts/{account_id}/api-keys/{key_id}", s.platform(s.deleteAPIKey))
	handle("POST /api/v1/accounts/{account_id}/portal-links", s.platform(s.createPortalLink))
	handle("GET /api/v1/accounts/{account_id}/events", s.account(s.listEvents))
	handle("GET /api/v1/event-types", s.authenticated(s.getEventTypes))
	handle("POST /api/v1/events", s.platform(s.ingest))
	handle("GET /api/v1/events/{event_id}", s.authenticated(s.getEvent))
	handle("GET /api/v1/accounts/{account_id}/deliveries", s.account(s.listDeliveries))
	handle("GET /api/v1/deliveries/{delivery_id}", s.authenticated(s.getDelivery))
	handle("POST /api/v1/deliveries/{delivery_id}/redeliver", s.authenticated(s.redeliver))
	handle("POST /api/v1/accounts/{account_id}/notifications/test", s.account(s.testSend))
	handle("GET /api/v1/accounts/{account_id}/outbox", s.account(s.listOutbox))
	handle("GET /api/v1/accounts/{account_id}/signing", s.account(s.getSigning))
	handle("PUT /api/v1/accounts/{account_id}/signing", s.account(s.putSigning))
	handle("POST /api/v1/accounts/{account_id}/signing/rotate", s.account(s.rotateSigning))
	handle("GET /api/v1/accounts/{account_id}/signing/secret", s.account(s.getSigningSecret))
	handle("GET /api/v1/accounts/{account_id}/webhook-status", s.account(s.getWebhookStatus))
	handle("POST /api/v1/accounts/{account_id}/webhook-status/enable", s.account(s.enableWebhook))
	handle("POST /api/v1/accounts/{account_id}/deliveries/replay", s.account(s.replay))
	handle("GET /api/v1/outbox/{message_id}", s.authenticated(s.getOutboxMessage))

	handle("/api/", s.authenticated(notFound))
	if s.pages != nil {
		mux.Handle("/", s.pages)
	}

	return s.accessLog(s.recoverPanics(securityHeaders(mux)))
}
