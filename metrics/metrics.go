// Package metrics exposes Herald's Prometheus metrics: events ingested,
// deliveries completed and how long they took, and the state of the
// delivery queue.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"herald"
	"herald/store"
)

// queueStatsTimeout bounds the query a scrape makes, so a slow database
// cannot hang the scraper; Prometheus's own default timeout is 10s.
const queueStatsTimeout = 2 * time.Second

// unknownEventType labels an ingested event whose key is not one of the
// five, so a caller bug cannot grow the counter's series without bound.
const unknownEventType = "unknown"

// QueueStatser reports the delivery queue's state; *store.Store is one.
type QueueStatser interface {
	QueueStats(ctx context.Context) (store.QueueStats, error)
}

// Metrics holds Herald's Prometheus metrics in a registry of its own (no
// global state, so tests run in parallel). Its methods are safe for
// concurrent use.
type Metrics struct {
	registry *prometheus.Registry
	handler  http.Handler

	eventsIngested *prometheus.CounterVec
	deliveries     *prometheus.CounterVec
	taken          *prometheus.CounterVec
	endToEnd       *prometheus.HistogramVec
	webhookRequest prometheus.Histogram
	emailSend      prometheus.Histogram
}

// New returns Metrics whose queue gauges are read from queue at scrape
// time; a nil queue leaves them out. now is the clock the oldest pending
// delivery's age is measured with; nil means time.Now.
func New(queue QueueStatser, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	// End to end spans retries with backoff, so it reaches further than
	// one call: 1ms to ~65s, versus 1ms to ~32s for a single request
	// (the webhook and SMTP timeouts are 10s and 30s by default).
	endToEndBuckets := prometheus.ExponentialBuckets(0.001, 2, 17)
	callBuckets := prometheus.ExponentialBuckets(0.001, 2, 16)

	m := &Metrics{
		registry: prometheus.NewRegistry(),
		eventsIngested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_events_ingested_total",
			Help: "Platform events accepted, by settings key.",
		}, []string{"event_type"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_deliveries_total",
			Help: "Deliveries completed, by channel and final status.",
		}, []string{"channel", "status"}),
		taken: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_deliveries_taken_total",
			Help: "Deliveries workers took on to send, by how: handed over by ingest as it wrote them, or claimed from the database (retries, backlog, other processes' events).",
		}, []string{"how"}),
		endToEnd: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herald_delivery_end_to_end_seconds",
			Help:    "Time from a delivery's creation at ingest to its completion, retries included.",
			Buckets: endToEndBuckets,
		}, []string{"channel"}),
		webhookRequest: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "herald_webhook_request_seconds",
			Help:    "Duration of the final webhook HTTP request of a completed delivery.",
			Buckets: callBuckets,
		}),
		emailSend: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "herald_email_send_seconds",
			Help:    "Duration of the final SMTP send of a completed email delivery.",
			Buckets: callBuckets,
		}),
	}

	// Known label values start at zero, so rate() and absent-series
	// alerts work before the first event of a kind.
	for _, k := range herald.EventKeys() {
		m.eventsIngested.WithLabelValues(string(k))
	}
	for _, c := range []herald.Channel{herald.ChannelWebhook, herald.ChannelEmail} {
		for _, s := range []herald.Status{herald.StatusSucceeded, herald.StatusFailed} {
			m.deliveries.WithLabelValues(string(c), string(s))
		}
		m.endToEnd.WithLabelValues(string(c))
	}
	for _, how := range []string{"handed_over", "claimed"} {
		m.taken.WithLabelValues(how)
	}

	m.registry.MustRegister(
		m.eventsIngested, m.deliveries, m.taken, m.endToEnd, m.webhookRequest, m.emailSend,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if queue != nil {
		m.registry.MustRegister(newQueueCollector(queue, now))
	}

	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		// One broken collector should not blank the whole page.
		ErrorHandling: promhttp.ContinueOnError,
		// Counts those errors in promhttp_metric_handler_errors_total.
		Registry: m.registry,
	})
	return m
}

// EventIngested counts an accepted event under its settings key.
func (m *Metrics) EventIngested(key herald.EventKey) {
	label := string(key)
	if !key.Valid() {
		label = unknownEventType
	}
	m.eventsIngested.WithLabelValues(label).Inc()
}

// Delivered records a completed delivery; it implements dispatch.Observer.
// endToEnd runs from the delivery's creation to its completion; call is
// the final attempt's webhook request or SMTP send alone.
func (m *Metrics) Delivered(channel herald.Channel, status herald.Status, endToEnd, call time.Duration) {
	m.deliveries.WithLabelValues(string(channel), string(status)).Inc()
	m.endToEnd.WithLabelValues(string(channel)).Observe(endToEnd.Seconds())
	switch channel {
	case herald.ChannelWebhook:
		m.webhookRequest.Observe(call.Seconds())
	case herald.ChannelEmail:
		m.emailSend.Observe(call.Seconds())
	}
}

// Taken counts n deliveries a worker took on, how ("handed_over" or
// "claimed"); it implements dispatch.Observer.
func (m *Metrics) Taken(how string, n int) {
	m.taken.WithLabelValues(how).Add(float64(n))
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return m.handler
}

// queueCollector reads the queue's state when scraped rather than keeping
// gauges up to date, because the queue is shared by every worker and
// process, and only the database knows it.
type queueCollector struct {
	queue QueueStatser
	now   func() time.Time

	pending *prometheus.Desc
	age     *prometheus.Desc
	// errors is owned here, not registered alone, so a scrape that fails
	// to read the queue already shows its own failure.
	errors prometheus.Counter
}

func newQueueCollector(queue QueueStatser, now func() time.Time) *queueCollector {
	return &queueCollector{
		queue: queue,
		now:   now,
		pending: prometheus.NewDesc("herald_queue_pending",
			"Deliveries pending, due now or later.", nil, nil),
		age: prometheus.NewDesc("herald_queue_oldest_pending_age_seconds",
			"Age of the oldest pending delivery; 0 when none is pending.", nil, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_queue_stats_errors_total",
			Help: "Scrapes that could not read the queue's state.",
		}),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.age
	c.errors.Describe(ch)
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueStatsTimeout)
	defer cancel()
	qs, err := c.queue.QueueStats(ctx)
	if err != nil {
		// Skip the gauges: a made-up 0 would look like an empty queue.
		c.errors.Inc()
		c.errors.Collect(ch)
		return
	}
	c.errors.Collect(ch)
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(qs.Pending))
	var age float64
	if !qs.OldestPending.IsZero() {
		// Clamped because the database's clock and ours may disagree.
		age = max(c.now().Sub(qs.OldestPending).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age)
}
