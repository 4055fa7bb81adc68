package email

import (
	"errors"
	htmltemplate "html/template"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	texttemplate "text/template"
	tree "text/template/parse"
)

// hostile are values that each escaper treats differently: HTML
// specials, NUL, invalid UTF-8, schemes html/template refuses or keeps,
// percent escapes valid and not, non-ASCII and Unicode line separators.
var hostile = []string{
	"", "Acme Corp", `<script>alert("x")</script>`, `a & b "q" 'q' + c`, "nul\x00byte",
	"bad \xff\xfe utf-8", "javascript:alert(1)", "JavaScript:alert(1)", " javascript:x",
	"https://example.com/a b?q=1&r=<2>#frag", "HTTPS://Example.com/%41%zz%4", "mailto:ann@acme.test",
	"//evil.example/x", "/relative:colon", "data:text/html,<b>x</b>", "ftp://x", "ü 日本 \u2028 \u2029 \ufdd0 \uffff",
	"100%", "%", "a%2", "(paren)'quote'[br]{cb}|pipe\\back`tick^", "\t\r\n line\nbreaks\r\n",
}

// randomValue is a value made of the octets the escapers care about and
// some they pass through.
func randomValue(rng *rand.Rand) string {
	const alphabet = "aZ09 <>&\"'+\x00%:/?#=@-._~!$*,;[]()\\`^{}|\xc3\xbc\xe2\x80\xa8\xff\n"
	b := make([]byte, rng.IntN(24))
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// runBoth renders the kind's template name on v through text/template
// and html/template, then compiled, and fails the test where they differ.
func runBoth(t *testing.T, r *Renderer, kind, name string, v any) {
	t.Helper()
	k := r.kinds[kind]
	var wantText, wantHTML strings.Builder
	if err := k.text.ExecuteTemplate(&wantText, name, v); err != nil {
		t.Fatal(err)
	}
	if err := k.html.ExecuteTemplate(&wantHTML, name, v); err != nil {
		t.Fatal(err)
	}
	p := k.compile(name, reflect.TypeOf(v))
	if p.text == nil || p.html == nil {
		t.Fatalf("%s %s for %T did not compile", kind, name, v)
	}
	rv := reflect.ValueOf(v)
	if got := string(p.text(nil, rv)); got != wantText.String() {
		t.Errorf("%s %s text: compiled differs from text/template\n--- got:\n%q\n--- want:\n%q", kind, name, got, wantText.String())
	}
	if got := string(p.html(nil, rv)); got != wantHTML.String() {
		t.Errorf("%s %s html: compiled differs from html/template\n--- got:\n%q\n--- want:\n%q", kind, name, got, wantHTML.String())
	}
}

// notificationView fills every string of a notification's view, and its
// rows, from pick.
func notificationView(pick func() string, rows int) view {
	v := view{Title: pick(), Summary: pick(), Link: pick()}
	v.frame = frame{Lang: pick(), Subject: pick(), Preheader: pick(), Footer: pick(), FooterLinkText: pick(), FooterLink: pick()}
	for range rows {
		r := row{Label: pick(), Padded: pick(), Value: pick()}
		r.Link = len(r.Value)%2 == 0
		v.Rows = append(v.Rows, r)
	}
	return v
}

func TestCompiledMatchesTemplates(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	names := []string{"layout", "top", "footer", "bottom"}
	t.Run("hostile", func(t *testing.T) {
		for i, s := range hostile {
			v := notificationView(func() string { return s }, i%3)
			for _, name := range names {
				runBoth(t, r, "notification", name, v)
			}
			runBoth(t, r, "notification", "footer", v.frame)
		}
	})
	t.Run("random", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range 300 {
			v := notificationView(func() string { return randomValue(rng) }, i%4)
			runBoth(t, r, "notification", names[i%len(names)], v)
		}
	})
	t.Run("empty", func(t *testing.T) {
		for _, name := range names {
			runBoth(t, r, "notification", name, view{})
		}
	})
}

func FuzzCompiledMatchesTemplates(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, "https://herald.example.com/unsubscribe/"+s)
	}
	r := newRenderer(f)
	f.Fuzz(func(t *testing.T, a, b string) {
		n := 0
		v := notificationView(func() string {
			n++
			if n%2 == 0 {
				return a
			}
			return b
		}, 2)
		runBoth(t, r, "notification", "layout", v)
	})
}

// Rendering compiles the notification's pieces, so an edit of the
// templates that stops them compiling is noticed here, not as a slower
// worker; the digest, with variables and numbers, stays with
// text/template and renders the same.
func TestRenderUsesCompiledTemplates(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	n := specNotification(t, "run_failed")
	n.UnsubscribeURL = "https://herald.example.com/unsubscribe/hu_x"
	first, err := r.Render(n, "ann@acme.test", testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		view any
	}{{"top", view{}}, {"bottom", view{}}, {"footer", frame{}}} {
		p, ok := r.programs.Load(programKey{"notification", c.name, reflect.TypeOf(c.view)})
		if !ok || p.(*programs).text == nil || p.(*programs).html == nil {
			t.Errorf("notification %s was not compiled", c.name)
		}
	}
	// A second event's email is rendered compiled: the same as a fresh
	// renderer's, whose first render of each piece is through the
	// templates.
	n2 := n
	n2.AccountName = "Acme <Two> & 'Co'"
	second, err := r.Render(n2, "ann@acme.test", testNow)
	if err != nil {
		t.Fatal(err)
	}
	want, err := newRenderer(t).Render(n2, "ann@acme.test", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if second.Text != want.Text || second.HTML != want.HTML || second.Subject != want.Subject {
		t.Errorf("compiled render differs:\n%s\n%s\n--- want:\n%s\n%s", second.Text, second.HTML, want.Text, want.HTML)
	}
	if second.Text == first.Text || !strings.Contains(second.HTML, "Acme &lt;Two&gt; &amp; &#39;Co&#39;") {
		t.Errorf("second render is not of the second event:\n%s", second.HTML)
	}

	d := Digest{Notification: n, Payloads: [][]byte{n.Payload, n.Payload}}
	for range 2 {
		if _, err := r.RenderDigest(d, "ann@acme.test", testNow); err != nil {
			t.Fatal(err)
		}
	}
	p, ok := r.programs.Load(programKey{"digest", "layout", reflect.TypeOf(digestView{})})
	if !ok || p.(*programs).html != nil {
		t.Errorf("digest: got compiled %v, want a failed compile noted", ok)
	}
}

// compileText compiles src's template "t" (text/template) for views of
// v's type.
func compileText(t *testing.T, src string, v any) error {
	t.Helper()
	tt := texttemplate.Must(texttemplate.New("t").Parse(src))
	_, err := compileTemplate(func(n string) *tree.Tree {
		if x := tt.Lookup(n); x != nil {
			return x.Tree
		}
		return nil
	}, "t", reflect.TypeOf(v), false)
	return err
}

type withMethod struct{ S string }

func (withMethod) M() string { return "m" }

type withPointer struct {
	*frame
	P *string
	N int
	U string
	K htmltemplate.HTML
}

func TestCompileRefuses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, src string
		v         any
	}{
		{"function", `{{printf "%s" .S}}`, withMethod{}},
		{"method", `{{.M}}`, withMethod{}},
		{"variable", `{{$x := .S}}{{$x}}`, withMethod{}},
		{"range with variables", `{{range $i, $e := .S}}{{end}}`, withMethod{}},
		{"with", `{{with .S}}{{.}}{{end}}`, withMethod{}},
		{"missing field", `{{.Nope}}`, withMethod{}},
		{"int", `{{.N}}`, withPointer{}},
		{"pointer", `{{.P}}`, withPointer{}},
		{"embedded pointer", `{{.Lang}}`, withPointer{}},
		{"another string type", `{{.K}}`, withPointer{}},
		{"field of a string", `{{.U.X}}`, withPointer{}},
		{"template with another dot", `{{define "u"}}x{{end}}{{template "u" .U}}`, withPointer{}},
		{"missing template", `{{template "nope" .}}`, withPointer{}},
		{"recursion", `{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}`, withPointer{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := compileText(t, tt.src, tt.v); !errors.Is(err, errNotCompilable) {
				t.Errorf("compile: %v, want errNotCompilable", err)
			}
		})
	}
	// An html/template tree read before escaping has no escapers.
	h := htmltemplate.Must(htmltemplate.New("t").Parse(`<p>{{.S}}</p>`))
	_, err := compileTemplate(func(string) *tree.Tree { return h.Tree }, "t", reflect.TypeOf(withMethod{}), true)
	if !errors.Is(err, errNotCompilable) {
		t.Errorf("unescaped tree: %v, want errNotCompilable", err)
	}
}
