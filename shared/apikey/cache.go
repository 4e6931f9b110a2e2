package apikey

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Cache is the in-function cache of key records in front of a [Store]:
// bounded (least recently used entries go first), with a positive TTL for
// found records and a negative TTL for unknown key ids, and at most one
// store read in flight per key id. Store failures are not cached.
//
// The positive TTL bounds how long a warm function keeps accepting a key
// after it is revoked, suspended or rotated out (add API Gateway's own
// authorizer result-cache TTL for the end-to-end bound).
type Cache struct {
	store    Store
	pos, neg time.Duration
	max      int
	now      func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element // of *cacheEntry
	lru     list.List                // front: most recently used
	flight  singleflight.Group
}

type cacheEntry struct {
	id      string
	rec     *Record // nil: the id is unknown
	expires time.Time
}

var _ Store = (*Cache)(nil)

// NewCache returns a cache of at most max records in front of store.
// A TTL of zero disables caching of that kind; max < 1 means 1.
func NewCache(store Store, max int, positive, negative time.Duration, now func() time.Time) *Cache {
	if max < 1 {
		max = 1
	}
	return &Cache{store: store, pos: positive, neg: negative, max: max, now: now,
		entries: map[string]*list.Element{}}
}

// Get implements [Store]: a cached record or unknown id while fresh,
// otherwise one store read shared by concurrent callers.
func (c *Cache) Get(ctx context.Context, id string) (*Record, error) {
	if rec, hit, found := c.lookup(id); hit {
		if !found {
			return nil, ErrNotFound
		}
		return rec, nil
	}
	v, err, _ := c.flight.Do(id, func() (any, error) {
		rec, err := c.store.Get(ctx, id)
		switch {
		case err == nil:
			c.put(id, rec, c.pos)
		case errors.Is(err, ErrNotFound):
			c.put(id, nil, c.neg)
		}
		return rec, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*Record), nil
}

// Forget drops id from the cache (the admin paths of a process that also
// authenticates call it after a change).
func (c *Cache) Forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[id]; ok {
		c.lru.Remove(el)
		delete(c.entries, id)
	}
}

// Len returns the number of cached entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

func (c *Cache) lookup(id string) (rec *Record, hit, found bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[id]
	if !ok {
		return nil, false, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.lru.Remove(el)
		delete(c.entries, id)
		return nil, false, false
	}
	c.lru.MoveToFront(el)
	return e.rec, true, e.rec != nil
}

func (c *Cache) put(id string, rec *Record, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	exp := c.now().Add(ttl)
	if el, ok := c.entries[id]; ok {
		e := el.Value.(*cacheEntry)
		e.rec, e.expires = rec, exp
		c.lru.MoveToFront(el)
		return
	}
	for c.lru.Len() >= c.max {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).id)
	}
	c.entries[id] = c.lru.PushFront(&cacheEntry{id: id, rec: rec, expires: exp})
}
