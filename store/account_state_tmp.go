package store

// The webhook state of the account list, until the webhook health storage
// lands: "none" without a URL saved, else "healthy". Its own names, so the
// health storage's can land beside it; then the list uses those.
const (
	accountListHealthJoin = ``
	accountListStateExpr  = `CASE WHEN a.webhook_url = '' THEN 'none' ELSE 'healthy' END`
)

// WebhookStates are the states an account's webhook can be in: no URL
// saved, healthy, failing, disabled.
var WebhookStates = []string{"none", "healthy", "failing", "disabled"}
