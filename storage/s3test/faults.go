package s3test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Faults configures a FaultProxy: each request draws at most one fault.
type Faults struct {
	// Seed makes the fault sequence repeatable.
	Seed uint64
	// Rate is the probability that a request gets a fault (0..1).
	Rate float64
	// Latency is added to every request that gets no other fault.
	Latency time.Duration
	// BytesPerSecond, when > 0, limits the response bandwidth.
	BytesPerSecond int
}

// FaultKinds are the faults a proxy injects, equally likely.
var FaultKinds = []string{"503 SlowDown", "500 InternalError", "connection reset", "slow response"}

// FaultProxy sits between a client and an S3 server on 127.0.0.1 and
// injects S3 throttling and server errors, dropped connections and
// latency, counting what it injected.
type FaultProxy struct {
	// Endpoint is the proxy's URL: point the client here.
	Endpoint string
	srv      *http.Server
	faults   Faults
	mu       sync.Mutex
	rng      *rand.Rand
	requests atomic.Int64
	injected map[string]int
	enabled  atomic.Bool
}

// NewFaultProxy starts a proxy in front of target (an http:// endpoint).
func NewFaultProxy(target string, f Faults) (*FaultProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &FaultProxy{Endpoint: "http://" + l.Addr().String(), faults: f, rng: rand.New(rand.NewPCG(f.Seed, 0xfa17)), injected: map[string]int{}}
	p.enabled.Store(true)
	rp := httputil.NewSingleHostReverseProxy(u)
	if f.BytesPerSecond > 0 {
		rp.ModifyResponse = func(r *http.Response) error {
			r.Body = &throttled{ReadCloser: r.Body, bps: f.BytesPerSecond}
			return nil
		}
	}
	p.srv = &http.Server{Handler: p.handler(rp), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(l)
	return p, nil
}

// Close stops the proxy.
func (p *FaultProxy) Close() { _ = p.srv.Close() }

// SetEnabled turns fault injection on or off (requests still pass).
func (p *FaultProxy) SetEnabled(on bool) { p.enabled.Store(on) }

// Injected returns the faults injected so far, by kind, and the requests seen.
func (p *FaultProxy) Injected() (map[string]int, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.injected))
	for k, v := range p.injected {
		out[k] = v
	}
	return out, p.requests.Load()
}

// Total is the number of faults injected so far.
func (p *FaultProxy) Total() int {
	n := 0
	kinds, _ := p.Injected()
	for _, v := range kinds {
		n += v
	}
	return n
}

func (p *FaultProxy) draw() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.enabled.Load() || p.rng.Float64() >= p.faults.Rate {
		return ""
	}
	kind := FaultKinds[p.rng.IntN(len(FaultKinds))]
	p.injected[kind]++
	return kind
}

func (p *FaultProxy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		switch p.draw() {
		case "503 SlowDown":
			_, _ = io.Copy(io.Discard, r.Body)
			s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		case "500 InternalError":
			_, _ = io.Copy(io.Discard, r.Body)
			s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		case "connection reset":
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					if tc, ok := conn.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // RST, not FIN
					}
					_ = conn.Close()
					return
				}
			}
			s3Error(w, http.StatusServiceUnavailable, "SlowDown", "reset")
		case "slow response":
			time.Sleep(200 * time.Millisecond)
			next.ServeHTTP(w, r)
		default:
			time.Sleep(p.faults.Latency)
			next.ServeHTTP(w, r)
		}
	})
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fault</RequestId></Error>`, code, msg)
}

// throttled limits a body's read rate.
type throttled struct {
	io.ReadCloser
	bps int
}

func (t *throttled) Read(b []byte) (int, error) {
	if len(b) > t.bps/10 {
		b = b[:max(1, t.bps/10)]
	}
	n, err := t.ReadCloser.Read(b)
	time.Sleep(time.Duration(n) * time.Second / time.Duration(t.bps))
	return n, err
}
