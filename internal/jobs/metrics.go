package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueCollector exports the asynq queues' state, read from Redis at each
// scrape (one round trip per queue; Redis holds it for every node):
// cau_jobs_queue_tasks{queue,state}, cau_jobs_queue_latency_seconds{queue}
// (age of the oldest pending task) and cau_jobs_{processed,failed}_total{queue}.
type QueueCollector struct {
	insp                         *asynq.Inspector
	tasks, latency, done, failed *prometheus.Desc
	up                           *prometheus.Desc
	timeout                      time.Duration
}

// NewQueueCollector reads the queues through its own inspector; Close it
// with the app.
func NewQueueCollector(opt asynq.RedisConnOpt) *QueueCollector {
	return &QueueCollector{
		insp:    asynq.NewInspector(opt),
		tasks:   prometheus.NewDesc("cau_jobs_queue_tasks", "Background jobs in a queue by state.", []string{"queue", "state"}, nil),
		latency: prometheus.NewDesc("cau_jobs_queue_latency_seconds", "Age of the oldest pending job of a queue.", []string{"queue"}, nil),
		done:    prometheus.NewDesc("cau_jobs_processed_total", "Jobs processed (succeeded or failed) since the queue was created.", []string{"queue"}, nil),
		failed:  prometheus.NewDesc("cau_jobs_failed_total", "Job runs that failed since the queue was created.", []string{"queue"}, nil),
		up:      prometheus.NewDesc("cau_jobs_queue_up", "1 when the queues could be read from Redis at this scrape.", nil, nil),
		timeout: 2 * time.Second,
	}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.tasks, c.latency, c.done, c.failed, c.up} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	up := 1.0
	for q := range Queues {
		info, err := c.queueInfo(ctx, q)
		if errors.Is(err, asynq.ErrQueueNotFound) {
			info = &asynq.QueueInfo{Queue: q} // nothing ever enqueued there: all zero
		} else if err != nil {
			up = 0
			continue
		}
		for state, n := range map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived} {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(n), q, state)
		}
		ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, info.Latency.Seconds(), q)
		ch <- prometheus.MustNewConstMetric(c.done, prometheus.CounterValue, float64(info.ProcessedTotal), q)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(info.FailedTotal), q)
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
}

func (c *QueueCollector) queueInfo(ctx context.Context, q string) (*asynq.QueueInfo, error) {
	type result struct {
		info *asynq.QueueInfo
		err  error
	}
	// The inspector takes no context; a scrape must not hang on Redis.
	done := make(chan result, 1)
	go func() {
		info, err := c.insp.GetQueueInfo(q)
		done <- result{info, err}
	}()
	select {
	case r := <-done:
		return r.info, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close releases the inspector's Redis connection.
func (c *QueueCollector) Close() error { return c.insp.Close() }
