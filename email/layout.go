package email

import (
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"sort"
	"strings"
	texttemplate "text/template"
)

// A kind is one sort of email (a notification, say): its templates
// templates/KIND.txt.tmpl and templates/KIND.html.tmpl define "content",
// which the shared layout (templates/layout.*.tmpl) frames with the
// preheader, the card and the footer. New kinds need only their two files:
// parseKinds finds them, and the tests render and check every kind.
type kind struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// frame is what the layout shows around every kind's content. Each kind's
// view embeds it.
type frame struct {
	Lang    string // the html element's lang
	Subject string // also the HTML title
	// Preheader is the line inbox lists show after the subject; hidden
	// in the message itself.
	Preheader string
	// Footer says why the recipient gets the email; FooterLink, when set,
	// follows it as a link named FooterLinkText (unsubscribe, or the
	// settings).
	Footer                     string
	FooterLinkText, FooterLink string
}

// kindNames lists the kinds in templates/, sorted.
func kindNames() ([]string, error) {
	names, err := fs.Glob(templates, "templates/*.html.tmpl")
	if err != nil {
		return nil, err
	}
	var kinds []string
	for _, n := range names {
		k := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html.tmpl")
		if k != "layout" {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	return kinds, nil
}

func parseKinds() (map[string]kind, error) {
	names, err := kindNames()
	if err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	kinds := make(map[string]kind, len(names))
	for _, name := range names {
		text, err := texttemplate.ParseFS(templates, "templates/layout.txt.tmpl", "templates/"+name+".txt.tmpl")
		if err != nil {
			return nil, fmt.Errorf("email: %w", err)
		}
		html, err := htmltemplate.ParseFS(templates, "templates/layout.html.tmpl", "templates/"+name+".html.tmpl")
		if err != nil {
			return nil, fmt.Errorf("email: %w", err)
		}
		kinds[name] = kind{text: text, html: html}
	}
	return kinds, nil
}

// execute renders the kind's text and HTML parts from v, whose type
// embeds frame.
func (r *Renderer) execute(kind string, v any) (text, html string, err error) {
	// Sized for a notification up front: grown from empty, the builders
	// had copied each part over and over (a quarter of the worker's
	// allocations in the realistic benchmark).
	return r.executeTemplate(kind, "layout", v, 2<<10, 16<<10)
}

// executeTemplate renders the template called name (the layout or a
// piece of it) of the kind's text and HTML sets, into builders of the
// sizes given.
func (r *Renderer) executeTemplate(kind, name string, v any, textSize, htmlSize int) (text, html string, err error) {
	k, ok := r.kinds[kind]
	if !ok {
		return "", "", fmt.Errorf("email: no templates for %q", kind)
	}
	var t, h strings.Builder
	t.Grow(textSize)
	h.Grow(htmlSize)
	if err := k.text.ExecuteTemplate(&t, name, v); err != nil {
		return "", "", fmt.Errorf("email: %s text template: %w", kind, err)
	}
	if err := k.html.ExecuteTemplate(&h, name, v); err != nil {
		return "", "", fmt.Errorf("email: %s html template: %w", kind, err)
	}
	return t.String(), h.String(), nil
}
