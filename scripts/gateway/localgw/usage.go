package localgw

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// ErrUnknownUsageKey is returned by a [UsageKeys] for a value that is no
// API key of any usage plan.
var ErrUnknownUsageKey = errors.New("localgw: not an API key of any usage plan")

// UsageKeys plays API Gateway's API keys and usage-plan membership: it
// resolves the usageIdentifierKey an authorizer returns to the name of
// the usage plan the key belongs to, or an error wrapping
// [ErrUnknownUsageKey].
type UsageKeys interface {
	Plan(ctx context.Context, usageKey string) (string, error)
}

// UsageKeyMap is a fixed [UsageKeys]: API-key value to usage-plan name.
type UsageKeyMap map[string]string

// Plan implements [UsageKeys].
func (m UsageKeyMap) Plan(_ context.Context, key string) (string, error) {
	if p, ok := m[key]; ok {
		return p, nil
	}
	return "", ErrUnknownUsageKey
}

// usage meters API keys against their usage plans: a token bucket per key
// (the plan's rate per second, holding at most its burst, full at first),
// and a request count per quota period (UTC day, ISO week from Monday, or
// calendar month).
type usage struct {
	plans map[string]config.UsagePlan

	mu      sync.Mutex
	buckets map[string]*bucket // by plan + "\x00" + key
}

type bucket struct {
	tokens      float64
	last        time.Time
	period      time.Time // start of the current quota period
	periodCount int
}

func newUsage(plans []config.UsagePlan) *usage {
	u := &usage{plans: map[string]config.UsagePlan{}, buckets: map[string]*bucket{}}
	for _, p := range plans {
		u.plans[p.Name] = p
	}
	return u
}

// take spends one request of key on plan at now: "" when it may pass,
// Throttled or QuotaExceeded otherwise. A refused request spends nothing.
func (u *usage) take(plan, key string, now time.Time) ResponseType {
	p, ok := u.plans[plan]
	if !ok {
		return InvalidAPIKey
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	id := plan + "\x00" + key
	b := u.buckets[id]
	burst := float64(p.Throttle.Burst)
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		u.buckets[id] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(burst, b.tokens+elapsed*p.Throttle.Rate)
		b.last = now
	}
	if q := p.Quota; q != nil {
		start := periodStart(q.Period, now)
		if !start.Equal(b.period) {
			b.period, b.periodCount = start, 0
		}
		if b.periodCount >= q.Limit {
			return QuotaExceeded
		}
	}
	if b.tokens < 1 {
		return Throttled
	}
	b.tokens--
	b.periodCount++
	return ""
}

func periodStart(period string, t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch period {
	case "WEEK":
		return day.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	case "MONTH":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}
