package apikey_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/apikey/apikeytest"
)

// countingStore serves records by id and counts reads per id.
type countingStore struct {
	mu    sync.Mutex
	recs  map[string]*apikey.Record
	reads map[string]int
	err   error
}

func (s *countingStore) Get(_ context.Context, id string) (*apikey.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads[id]++
	if s.err != nil {
		return nil, s.err
	}
	if r, ok := s.recs[id]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("%w: %s", apikey.ErrNotFound, id)
}

func (s *countingStore) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads[id]
}

func newCounting(ids ...string) *countingStore {
	s := &countingStore{recs: map[string]*apikey.Record{}, reads: map[string]int{}}
	for _, id := range ids {
		s.recs[id] = &apikey.Record{ID: id, Owner: "o-" + id}
	}
	return s
}

func TestCacheTTLs(t *testing.T) {
	ctx := context.Background()
	clk := &apikeytest.Clock{T: t0}
	s := newCounting("known")
	c := apikey.NewCache(s, 10, time.Minute, 10*time.Second, clk.Now)

	steps := []struct {
		advance   time.Duration
		id        string
		wantErr   error
		wantReads int
	}{
		{0, "known", nil, 1},
		{59 * time.Second, "known", nil, 1}, // fresh
		{time.Second, "known", nil, 2},      // positive TTL over
		{0, "gone", apikey.ErrNotFound, 1},
		{9 * time.Second, "gone", apikey.ErrNotFound, 1}, // negative entry fresh
		{time.Second, "gone", apikey.ErrNotFound, 2},     // negative TTL over
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		r, err := c.Get(ctx, st.id)
		if !errors.Is(err, st.wantErr) {
			t.Fatalf("step %d Get(%s) error = %v, want %v", i, st.id, err, st.wantErr)
		}
		if err == nil && r.ID != st.id {
			t.Errorf("step %d Get(%s) = record %s", i, st.id, r.ID)
		}
		if got := s.count(st.id); got != st.wantReads {
			t.Errorf("step %d: %d store reads of %s, want %d", i, got, st.id, st.wantReads)
		}
	}
}

func TestCacheDoesNotCacheFailures(t *testing.T) {
	ctx := context.Background()
	s := newCounting("k")
	s.err = errors.New("throttled")
	c := apikey.NewCache(s, 10, time.Minute, time.Minute, (&apikeytest.Clock{T: t0}).Now)
	for range 3 {
		if _, err := c.Get(ctx, "k"); err == nil || errors.Is(err, apikey.ErrNotFound) {
			t.Fatalf("Get error = %v, want the store failure", err)
		}
	}
	if got := s.count("k"); got != 3 {
		t.Errorf("%d store reads, want 3 (failures are not cached)", got)
	}
	s.err = nil
	if _, err := c.Get(ctx, "k"); err != nil {
		t.Errorf("Get after recovery: %v", err)
	}
}

func TestCacheBounded(t *testing.T) {
	ctx := context.Background()
	s := newCounting("a", "b", "c")
	c := apikey.NewCache(s, 2, time.Hour, time.Hour, (&apikeytest.Clock{T: t0}).Now)
	for _, id := range []string{"a", "b", "a", "c"} { // c evicts b, the least recently used
		if _, err := c.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 2 {
		t.Errorf("Len() = %d, want 2", c.Len())
	}
	for _, id := range []string{"a", "c", "b"} {
		if _, err := c.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for id, want := range map[string]int{"a": 1, "b": 2, "c": 1} {
		if got := s.count(id); got != want {
			t.Errorf("%d reads of %s, want %d", got, id, want)
		}
	}
	c.Forget("c")
	if _, err := c.Get(ctx, "c"); err != nil || s.count("c") != 2 {
		t.Errorf("after Forget(c): err %v, %d reads, want a fresh read", err, s.count("c"))
	}
}

func TestCacheZeroTTLDisables(t *testing.T) {
	ctx := context.Background()
	s := newCounting("k")
	c := apikey.NewCache(s, 10, 0, 0, (&apikeytest.Clock{T: t0}).Now)
	c.Get(ctx, "k")
	c.Get(ctx, "k")
	c.Get(ctx, "x")
	c.Get(ctx, "x")
	if s.count("k") != 2 || s.count("x") != 2 || c.Len() != 0 {
		t.Errorf("with zero TTLs: reads k=%d x=%d, len %d; want 2, 2, 0", s.count("k"), s.count("x"), c.Len())
	}
}

// TestCacheOneInFlight: concurrent misses for one id share a single store read.
func TestCacheOneInFlight(t *testing.T) {
	const callers = 16
	release := make(chan struct{})
	var reads atomic.Int32
	store := apikeytest.StoreFunc(func(_ context.Context, id string) (*apikey.Record, error) {
		reads.Add(1)
		<-release
		return &apikey.Record{ID: id}, nil
	})
	c := apikey.NewCache(store, 10, time.Minute, time.Minute, (&apikeytest.Clock{T: t0}).Now)
	var started, done sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			_, err := c.Get(context.Background(), "k")
			errs <- err
		}()
	}
	started.Wait()
	// Give every goroutine the chance to reach the shared call before the
	// store answers (not a timing assertion: a late caller is served from
	// the cache, and the read count stays 1 either way).
	for reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := reads.Load(); got != 1 {
		t.Errorf("%d store reads for %d concurrent callers, want 1", got, callers)
	}
}
