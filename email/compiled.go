package email

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	tree "text/template/parse"
)

// A program is a template compiled for one type of view: it appends what
// executing the template on v writes to b. The templates stay the source
// of what an email says and html/template decides how each value is
// escaped (its escaped tree is what is compiled); a program only runs the
// result without text/template's reflection on every field and every
// escaper call, which had been half of rendering an event's email.
//
// Only the subset of the template language the email templates use
// compiles: text, {{.Field.Path}} of type string (in HTML, piped through
// html/template's escapers for text, attributes, RCDATA and URLs), {{if}}
// and {{range}} on a field, {{template "name" .}}. Anything else fails to
// compile, and that template runs through text/template as before.
type program func(b []byte, v reflect.Value) []byte

// maxTemplateDepth bounds {{template}} calls inside one another: the
// compiler inlines them, and a template calling itself must not loop.
const maxTemplateDepth = 16

var errNotCompilable = errors.New("email: template not compilable")

// compileTemplate compiles the template called name, in the set that
// lookup reads trees from, for views of type t. With escaped, the trees
// are html/template's after escaping, and an action without an escaper
// fails to compile (it would be a tree read before escaping).
func compileTemplate(lookup func(name string) *tree.Tree, name string, t reflect.Type, escaped bool) (program, error) {
	c := compiler{lookup: lookup, escaped: escaped}
	return c.call(name, t)
}

type compiler struct {
	lookup  func(name string) *tree.Tree
	escaped bool
	depth   int
}

func (c *compiler) fail(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errNotCompilable, fmt.Sprintf(format, args...))
}

// call compiles the template called name for dot of type t.
func (c *compiler) call(name string, t reflect.Type) (program, error) {
	t0 := c.lookup(name)
	if t0 == nil || t0.Root == nil {
		return nil, c.fail("no template %q", name)
	}
	if c.depth++; c.depth > maxTemplateDepth {
		return nil, c.fail("templates nested deeper than %d", maxTemplateDepth)
	}
	defer func() { c.depth-- }()
	return c.list(t0.Root, t)
}

func (c *compiler) list(l *tree.ListNode, t reflect.Type) (program, error) {
	if l == nil {
		return func(b []byte, _ reflect.Value) []byte { return b }, nil
	}
	var steps []program
	for _, n := range l.Nodes {
		p, err := c.node(n, t)
		if err != nil {
			return nil, err
		}
		if p != nil {
			steps = append(steps, p)
		}
	}
	if len(steps) == 1 {
		return steps[0], nil
	}
	return func(b []byte, v reflect.Value) []byte {
		for _, s := range steps {
			b = s(b, v)
		}
		return b
	}, nil
}

func (c *compiler) node(n tree.Node, t reflect.Type) (program, error) {
	switch n := n.(type) {
	case *tree.TextNode:
		text := string(n.Text)
		return func(b []byte, _ reflect.Value) []byte { return append(b, text...) }, nil
	case *tree.CommentNode:
		return nil, nil
	case *tree.ActionNode:
		return c.action(n.Pipe, t)
	case *tree.IfNode:
		return c.ifNode(n, t)
	case *tree.RangeNode:
		return c.rangeNode(n, t)
	case *tree.TemplateNode:
		if n.Pipe == nil || len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 {
			return nil, c.fail("{{template %q}} not called with dot", n.Name)
		}
		if _, ok := n.Pipe.Cmds[0].Args[0].(*tree.DotNode); !ok {
			return nil, c.fail("{{template %q}} not called with dot", n.Name)
		}
		return c.call(n.Name, t)
	}
	return nil, c.fail("unsupported %s", n)
}

// action compiles {{.Field}} of type string, with html/template's escapers
// after it.
func (c *compiler) action(p *tree.PipeNode, t reflect.Type) (program, error) {
	if len(p.Decl) > 0 || len(p.Cmds) == 0 {
		return nil, c.fail("unsupported action %s", p)
	}
	get, ft, err := c.field(p.Cmds[0], t)
	if err != nil {
		return nil, err
	}
	// Exactly string: fmt would print another string type through its
	// String method, and html/template gives its own types (HTML, URL)
	// other treatment.
	if ft != reflect.TypeFor[string]() {
		return nil, c.fail("%s is a %s, not a string", p, ft)
	}
	var escape []func(string) string
	for _, cmd := range p.Cmds[1:] {
		var e func(string) string
		if len(cmd.Args) == 1 {
			if id, ok := cmd.Args[0].(*tree.IdentifierNode); ok {
				e = escapers[id.Ident]
			}
		}
		if e == nil {
			return nil, c.fail("unsupported command %s", cmd)
		}
		escape = append(escape, e)
	}
	if c.escaped && len(escape) == 0 {
		return nil, c.fail("%s is not escaped", p)
	}
	return func(b []byte, v reflect.Value) []byte {
		s := get(v).String()
		for _, e := range escape {
			s = e(s)
		}
		return append(b, s...)
	}, nil
}

// ifNode compiles {{if .Field}} on a string, bool or slice, true as
// text/template has it: non-empty, or true.
func (c *compiler) ifNode(n *tree.IfNode, t reflect.Type) (program, error) {
	get, ft, err := c.condition(n.Pipe, t)
	if err != nil {
		return nil, err
	}
	var truth func(reflect.Value) bool
	switch ft.Kind() {
	case reflect.String, reflect.Slice:
		truth = func(v reflect.Value) bool { return v.Len() > 0 }
	case reflect.Bool:
		truth = reflect.Value.Bool
	default:
		return nil, c.fail("{{if}} on a %s", ft)
	}
	then, otherwise, err := c.branches(&n.BranchNode, t, t)
	if err != nil {
		return nil, err
	}
	return func(b []byte, v reflect.Value) []byte {
		if truth(get(v)) {
			return then(b, v)
		}
		return otherwise(b, v)
	}, nil
}

// rangeNode compiles {{range .Field}} over a slice, dot each element.
func (c *compiler) rangeNode(n *tree.RangeNode, t reflect.Type) (program, error) {
	get, ft, err := c.condition(n.Pipe, t)
	if err != nil {
		return nil, err
	}
	if ft.Kind() != reflect.Slice {
		return nil, c.fail("{{range}} over a %s", ft)
	}
	body, otherwise, err := c.branches(&n.BranchNode, ft.Elem(), t)
	if err != nil {
		return nil, err
	}
	return func(b []byte, v reflect.Value) []byte {
		s := get(v)
		if s.Len() == 0 {
			return otherwise(b, v)
		}
		for i := range s.Len() {
			b = body(b, s.Index(i))
		}
		return b
	}, nil
}

// branches compiles an {{if}} or {{range}}'s list for dot of type inner
// and its {{else}} for dot of type t.
func (c *compiler) branches(n *tree.BranchNode, inner, t reflect.Type) (list, otherwise program, err error) {
	if list, err = c.list(n.List, inner); err != nil {
		return nil, nil, err
	}
	if otherwise, err = c.list(n.ElseList, t); err != nil {
		return nil, nil, err
	}
	return list, otherwise, nil
}

// condition compiles the pipeline of an {{if}} or {{range}}: one field.
func (c *compiler) condition(p *tree.PipeNode, t reflect.Type) (func(reflect.Value) reflect.Value, reflect.Type, error) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 {
		return nil, nil, c.fail("unsupported pipeline %s", p)
	}
	return c.field(p.Cmds[0], t)
}

// field compiles a command that is dot or a chain of fields of dot.
func (c *compiler) field(cmd *tree.CommandNode, t reflect.Type) (func(reflect.Value) reflect.Value, reflect.Type, error) {
	if len(cmd.Args) != 1 {
		return nil, nil, c.fail("unsupported command %s", cmd)
	}
	switch a := cmd.Args[0].(type) {
	case *tree.DotNode:
		return func(v reflect.Value) reflect.Value { return v }, t, nil
	case *tree.FieldNode:
		var index []int
		for _, name := range a.Ident {
			// text/template calls a method of that name before looking
			// for a field: leave that to it.
			if _, ok := reflect.PointerTo(t).MethodByName(name); ok || t.Kind() != reflect.Struct {
				return nil, nil, c.fail(".%s of %s is not a plain field", name, t)
			}
			f, ok := t.FieldByName(name)
			if !ok || !f.IsExported() {
				return nil, nil, c.fail("%s has no exported field %s", t, name)
			}
			// A field reached through an embedded pointer could be nil.
			for i := range f.Index[:len(f.Index)-1] {
				if t.FieldByIndex(f.Index[:i+1]).Type.Kind() == reflect.Pointer {
					return nil, nil, c.fail(".%s of %s is behind a pointer", name, t)
				}
			}
			index = append(index, f.Index...)
			t = f.Type
		}
		if len(index) == 1 {
			i := index[0]
			return func(v reflect.Value) reflect.Value { return v.Field(i) }, t, nil
		}
		return func(v reflect.Value) reflect.Value { return v.FieldByIndex(index) }, t, nil
	}
	return nil, nil, c.fail("unsupported argument %s", cmd)
}

// escapers are html/template's escapers as its escaped trees name them,
// for plain strings (compiled actions print only strings): the same
// output, byte for byte, which the tests check against html/template.
var escapers = map[string]func(string) string{
	"_html_template_htmlescaper":   escapeHTML,
	"_html_template_attrescaper":   escapeHTML,
	"_html_template_rcdataescaper": escapeHTML,
	"_html_template_urlfilter":     filterURL,
	"_html_template_urlnormalizer": normalizeURL,
}

// htmlEscapes are what html/template writes for the octets it escapes in
// text, attributes and RCDATA (its htmlReplacementTable); NUL becomes
// U+FFFD.
var htmlEscapes = [256]string{
	0: "\uFFFD", '"': "&#34;", '&': "&amp;", '\'': "&#39;", '+': "&#43;", '<': "&lt;", '>': "&gt;",
}

// escapeHTML escapes s as html/template does a plain string in HTML text,
// a quoted attribute or RCDATA. The escaped octets are all ASCII, so
// walking octets finds the same as walking runes.
func escapeHTML(s string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		repl := htmlEscapes[s[i]]
		if repl == "" {
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		b.WriteString(repl)
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

// filterURL is html/template's urlFilter: a URL with a scheme other than
// http, https or mailto becomes "#ZgotmplZ".
func filterURL(s string) string {
	if protocol, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(protocol, "/") {
		if !strings.EqualFold(protocol, "http") && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "mailto") {
			return "#ZgotmplZ"
		}
	}
	return s
}

// urlKeeps are the octets normalizeURL keeps: RFC 3986's unreserved and
// reserved characters but the single quote and parentheses.
var urlKeeps = func() (t [256]bool) {
	for _, c := range []byte("!#$&*+,/:;=?@[]-._~") {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	return t
}()

// normalizeURL is html/template's urlNormalizer: other octets
// percent-encoded (in lower case hex, as it writes them), but a '%' that
// starts a valid escape.
func normalizeURL(s string) string {
	const hex = "0123456789abcdef"
	var b []byte
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if urlKeeps[c] || c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			continue
		}
		if b == nil {
			b = make([]byte, 0, len(s)+16)
		}
		b = append(b, s[written:i]...)
		b = append(b, '%', hex[c>>4], hex[c&0xf])
		written = i + 1
	}
	if written == 0 {
		return s
	}
	return string(append(b, s[written:]...))
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
