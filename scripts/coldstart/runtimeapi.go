package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The Runtime API headers of an invocation.
const (
	headerRequestID   = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline    = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID     = "Lambda-Runtime-Trace-Id"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type"
)

// Kinds of answer.
const (
	answerResponse  = "response"
	answerError     = "function error"
	answerInitError = "init error"
)

// answer is what the function posted back.
type answer struct {
	kind      string
	errorType string // Lambda-Runtime-Function-Error-Type of an error
	body      []byte
	at        time.Time // when the whole body had arrived
}

// runtimeAPI is a minimal Lambda Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) serving
// exactly one invocation: the first GET .../invocation/next gets the event,
// later ones wait until stop (the process is killed by then), and the
// first response, error or init error is recorded.
type runtimeAPI struct {
	event   []byte
	arn     string
	timeout time.Duration
	now     func() time.Time

	mux       *http.ServeMux
	requestID string
	stopped   chan struct{}
	stopOnce  sync.Once
	answered  chan answer // buffered, one answer

	mu        sync.Mutex
	delivered bool
	nextAt    time.Time // when the event was handed out
	done      bool      // an answer was recorded
}

func newRuntimeAPI(event []byte, arn string, timeout time.Duration, now func() time.Time) *runtimeAPI {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	s := &runtimeAPI{
		event: event, arn: arn, timeout: timeout, now: now,
		mux:       http.NewServeMux(),
		requestID: hex.EncodeToString(id),
		stopped:   make(chan struct{}),
		answered:  make(chan answer, 1),
	}
	const base = "/2018-06-01/runtime"
	s.mux.HandleFunc("GET "+base+"/invocation/next", s.next)
	s.mux.HandleFunc("POST "+base+"/invocation/{id}/response", s.post(answerResponse))
	s.mux.HandleFunc("POST "+base+"/invocation/{id}/error", s.post(answerError))
	s.mux.HandleFunc("POST "+base+"/init/error", s.post(answerInitError))
	return s
}

func (s *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// stop releases every waiting GET next.
func (s *runtimeAPI) stop() { s.stopOnce.Do(func() { close(s.stopped) }) }

// firstNext returns when the event was handed out (zero if never).
func (s *runtimeAPI) firstNext() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextAt
}

func (s *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	first := !s.delivered
	if first {
		s.delivered = true
		s.nextAt = s.now()
	}
	s.mu.Unlock()
	if !first {
		// One invocation only: hold the runtime here, as Lambda does
		// between invocations, until the measurement ends.
		select {
		case <-s.stopped:
		case <-r.Context().Done():
		}
		writeError(w, http.StatusServiceUnavailable, "Runtime.Stopped", "the measurement is over")
		return
	}
	h := w.Header()
	h.Set(headerRequestID, s.requestID)
	h.Set(headerDeadline, strconv.FormatInt(s.nextAt.Add(s.timeout).UnixMilli(), 10))
	h.Set(headerFunctionARN, s.arn)
	h.Set(headerTraceID, "Root=1-00000000-000000000000000000000000;Sampled=0")
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(s.event)
}

func (s *runtimeAPI) post(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if kind != answerInitError && r.PathValue("id") != s.requestID {
			writeError(w, http.StatusBadRequest, "InvalidRequestID", "unknown request id")
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
			return
		}
		a := answer{kind: kind, errorType: r.Header.Get(headerErrorType), body: body, at: s.now()}
		s.mu.Lock()
		dup := s.done
		s.done = true
		s.mu.Unlock()
		if dup {
			writeError(w, http.StatusForbidden, "InvalidStateTransition", "the invocation was already answered")
			return
		}
		s.answered <- a
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"OK"}`)
	}
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}
