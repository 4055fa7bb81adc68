package catalog

import (
	"strconv"
	"strings"
	"time"
)

// Default link bases; with environment prod-acme they give the spec's
// example links byte for byte.
const (
	DefaultAdminBaseURL = "https://admin.{environment}.pandium.com"
	DefaultAPIBaseURL   = "https://api.{environment}.pandium.com"
)

// TimestampLayout is the payload's timestamp: UTC, whole seconds, "Z".
const TimestampLayout = "2006-01-02T15:04:05Z"

// Builder builds webhook payloads for one deployment.
type Builder struct {
	environment string
	bases       map[string]string
}

// NewBuilder returns a Builder for the deployment's environment (the
// payloads' "environment") and link base templates, in which
// "{environment}" is replaced. Empty bases take the defaults.
func NewBuilder(environment, adminBase, apiBase string) *Builder {
	expand := func(tmpl, def string) string {
		if tmpl == "" {
			tmpl = def
		}
		return strings.TrimRight(strings.ReplaceAll(tmpl, "{environment}", environment), "/")
	}
	return &Builder{
		environment: environment,
		bases: map[string]string{
			"admin": expand(adminBase, DefaultAdminBaseURL),
			"api":   expand(apiBase, DefaultAPIBaseURL),
		},
	}
}

// Environment is the deployment's environment name.
func (b *Builder) Environment() string { return b.environment }

// Payload returns the exact webhook body of an event: the common fields,
// then the event's own fields in the spec's order, indented as the spec's
// examples are. data must come from ParseData or ExampleData.
func (b *Builder) Payload(e *Event, accountID int64, accountName string, at time.Time, data Data) []byte {
	var w objectWriter
	w.buf = make([]byte, 0, 512)
	w.begin(true)
	w.field("event_type", e.Type)
	w.field("environment", b.environment)
	w.field("account_id", accountID)
	w.field("account_name", accountName)
	w.field("timestamp", at.UTC().Format(TimestampLayout))
	for _, f := range e.Fields {
		if f.Link != nil {
			w.field(f.Name, b.bases[f.Link.Base]+expandPath(f.Link.Path, data))
			continue
		}
		w.field(f.Name, data[f.Name])
	}
	return w.end()
}

// expandPath fills {field} placeholders with the field's value.
func expandPath(path string, data Data) string {
	var sb strings.Builder
	for {
		open := strings.IndexByte(path, '{')
		if open < 0 {
			sb.WriteString(path)
			return sb.String()
		}
		end := strings.IndexByte(path[open:], '}')
		if end < 0 {
			sb.WriteString(path)
			return sb.String()
		}
		sb.WriteString(path[:open])
		switch v := data[path[open+1:open+end]].(type) {
		case int64:
			sb.WriteString(strconv.FormatInt(v, 10))
		case string:
			sb.WriteString(v)
		}
		path = path[open+end+1:]
	}
}

// ExampleTime is the spec examples' timestamp.
var ExampleTime = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

// Example is the event's example payload for this deployment: the spec's
// example, with this deployment's environment and link bases.
func (b *Builder) Example(e *Event) []byte {
	return b.Payload(e, 100, "Acme Corp", ExampleTime, e.ExampleData())
}
