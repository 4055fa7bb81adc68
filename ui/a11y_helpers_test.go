package ui

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"herald/dispatch"
	"herald/email"
	"herald/netguard"
	"herald/webhook"
)

// axeSource finds axe-core's axe.min.js: HERALD_TEST_AXE (scripts/test.sh
// installs the npm package and sets it). Without it the audit skips,
// except in CI, where it must run.
func axeSource(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		p := os.Getenv("HERALD_TEST_AXE")
		if p == "" {
			return
		}
		b, err := os.ReadFile(p)
		if err == nil {
			axeJS = string(b)
		}
	})
	if axeJS != "" {
		return axeJS
	}
	missingTool(t, "the accessibility audit needs axe-core: npm install axe-core@4.14.1 and set HERALD_TEST_AXE to its axe.min.js; scripts/test.sh does")
	return ""
}

var (
	axeOnce sync.Once
	axeJS   string
)

// axeRun runs the audit's rule sets: WCAG 2.0, 2.1 and 2.2 at A
// and AA, and axe's best practices.
const axeRun = `(async () => {
	const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa','best-practice']}});
	return r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
		targets: v.nodes.map(n => n.target.join(' ') + (n.failureSummary ? ' (' + n.failureSummary.replace(/\s+/g, ' ') + ')' : ''))}));
})()`

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeViolations runs axe-core in the page as it is now and returns every
// violation, one line each.
func (p *page) axeViolations(src string) []string {
	p.t.Helper()
	if !evalJS[bool](p, `typeof axe !== 'undefined'`) {
		if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](src+"\n;true")); err != nil {
			p.t.Fatalf("loading axe-core: %v", err)
		}
	}
	var out []string
	for _, v := range evalJS[[]axeViolation](p, axeRun) {
		out = append(out, fmt.Sprintf("%s (%s): %s\n\t\t%s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, "\n\t\t")))
	}
	return out
}

// overflow reports how much wider than the viewport the page is (0 when
// it fits) and the widest elements that stick out, to name the culprit.
func (p *page) overflow() (int, string) {
	p.t.Helper()
	type res struct {
		Over  int    `json:"over"`
		Worst string `json:"worst"`
	}
	r := evalJS[res](p, `(() => {
		const w = window.innerWidth, over = document.documentElement.scrollWidth - w;
		const out = [];
		const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return true; return false };
		for (const e of document.querySelectorAll('body *')) {
			const r = e.getBoundingClientRect();
			const spills = getComputedStyle(e).overflowX === 'visible' && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0;
			if ((r.right > w + 0.5 && r.width > 0 || spills) && !clipped(e)) out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : '') + ' right=' + Math.round(r.right));
		}
		return {over: Math.max(0, over), worst: out.slice(-5).join(', ')};
	})()`)
	return r.Over, r.Worst
}

// keyboardFaults tabs through the page from its top with real key
// presses and reports every interactive element the focus never reached,
// every positive tabindex, and every scrollable region that keyboard
// users could not scroll (neither focusable nor holding something
// focusable).
func (p *page) keyboardFaults() []string {
	p.t.Helper()
	var faults []string
	faults = append(faults, evalJS[[]string](p, `(() => {
		const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.getAttribute('name') ? '[name=' + e.getAttribute('name') + ']' : '');
		const out = [];
		for (const e of document.querySelectorAll('[tabindex]')) if (e.tabIndex > 0) out.push('positive tabindex on ' + name(e));
		const focusable = 'a[href], button, input, select, textarea, summary, [tabindex]';
		for (const e of document.querySelectorAll('body *')) {
			const s = getComputedStyle(e);
			const scrolls = (e.scrollWidth > e.clientWidth + 1 && /auto|scroll/.test(s.overflowX)) ||
				(e.scrollHeight > e.clientHeight + 1 && /auto|scroll/.test(s.overflowY));
			if (!scrolls || e === document.body) continue;
			const reachable = e.tabIndex >= 0 && e.matches(focusable) || [...e.querySelectorAll(focusable)].some(c => c.tabIndex >= 0 && !c.matches(':disabled'));
			if (!reachable) out.push('scrollable region not reachable by keyboard: ' + name(e) + '.' + [...e.classList].join('.'));
		}
		return out;
	})()`)...)

	// Mark every element a person can operate, then tab until the focus
	// comes back round.
	n := evalJS[int](p, `(() => {
		document.activeElement && document.activeElement.blur();
		window.scrollTo(0, 0);
		let i = 0;
		for (const e of document.querySelectorAll('a[href], button, input, select, textarea, summary')) {
			if (e.matches(':disabled') || e.type === 'hidden' || !e.checkVisibility({visibilityProperty: true})) continue;
			if (e.type === 'radio' && !e.checked && document.querySelector('input[type=radio][name="' + e.name + '"]:checked')) continue;
			e.dataset.kbd = String(i++);
		}
		window.__reached = new Set();
		document.addEventListener('focusin', ev => { if (ev.target.dataset && ev.target.dataset.kbd) window.__reached.add(ev.target.dataset.kbd) });
		return i;
	})()`)
	for i := 0; i < n+5; i++ {
		if err := chromedp.Do(p.ctx, tabKey()); err != nil {
			p.t.Fatalf("pressing Tab: %v", err)
		}
	}
	missed := evalJS[[]string](p, `[...document.querySelectorAll('[data-kbd]')].filter(e => !window.__reached.has(e.dataset.kbd)).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' "' + (e.innerText || e.value || e.name || '').trim().slice(0, 40) + '"')`)
	for _, m := range missed {
		faults = append(faults, "never reached by Tab: "+m)
	}
	return faults
}

// tabKey presses and releases Tab, as a keyboard does.
func tabKey() chromedp.Action[chromedp.Void] { return chromedp.KeyEvent(kb.Tab) }

// deliverAll runs a worker over e's store, with the outbox, until nothing
// is pending, so the delivery and outbox pages have something to show.
func (e *env) deliverAll(t *testing.T) {
	t.Helper()
	r, err := email.NewRenderer("Herald <herald@localhost>")
	if err != nil {
		t.Fatal(err)
	}
	sender := webhook.New(webhook.Options{Timeout: 5 * time.Second, Guard: &netguard.Guard{AllowPrivate: true}})
	t.Cleanup(sender.Close)
	w := dispatch.NewWorker(dispatch.WorkerConfig{Store: e.st, Webhooks: sender, Renderer: r, PublicURL: e.url, Poll: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for {
		qs, err := e.st.QueueStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if qs.Pending == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("deliveries still pending: %d", qs.Pending)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	<-done
}

// ingest posts one event through the API.
func (e *env) ingest(t *testing.T, key string, data string) {
	t.Helper()
	body := `{"event_type": "` + key + `", "account_id": 1, "data": ` + data + `}`
	req, _ := http.NewRequest("POST", e.url+"/api/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+platformToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("ingest %s: status %d", key, res.StatusCode)
	}
}
