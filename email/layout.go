package email

import (
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"reflect"
	"sort"
	"strings"
	texttemplate "text/template"
	tree "text/template/parse"
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
// sizes given. Once a template has run through text/template and
// html/template (which escapes it on its first run), it is compiled for
// v's type (compiled.go) and runs compiled from then on.
func (r *Renderer) executeTemplate(kind, name string, v any, textSize, htmlSize int) (text, html string, err error) {
	k, ok := r.kinds[kind]
	if !ok {
		return "", "", fmt.Errorf("email: no templates for %q", kind)
	}
	rv := reflect.ValueOf(v)
	key := programKey{kind, name, rv.Type()}
	p, compiled := r.programs.Load(key)
	if compiled {
		if p := p.(*programs); p.text != nil {
			b := getBuffer(max(textSize, htmlSize))
			defer putBuffer(b)
			*b = p.text((*b)[:0], rv)
			text = string(*b)
			*b = p.html((*b)[:0], rv)
			return text, string(*b), nil
		}
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
	if !compiled {
		r.programs.Store(key, k.compile(name, rv.Type()))
	}
	return t.String(), h.String(), nil
}

// programKey names a compiled template: its kind, its name and the type
// of view it was compiled for.
type programKey struct {
	kind, name string
	view       reflect.Type
}

// programs are a template's text and HTML compiled, both nil when either
// does not compile (it then runs through text/template).
type programs struct{ text, html program }

// compile compiles the kind's template called name for views of type t.
// html/template must have run it first: compiled are its escaped trees.
func (k kind) compile(name string, t reflect.Type) *programs {
	var p programs
	var err error
	if p.text, err = compileTemplate(k.textTree, name, t, false); err != nil {
		return &programs{}
	}
	if p.html, err = compileTemplate(k.htmlTree, name, t, true); err != nil {
		return &programs{}
	}
	return &p
}

func (k kind) textTree(name string) *tree.Tree {
	if t := k.text.Lookup(name); t != nil {
		return t.Tree
	}
	return nil
}

func (k kind) htmlTree(name string) *tree.Tree {
	if t := k.html.Lookup(name); t != nil {
		return t.Tree
	}
	return nil
}
