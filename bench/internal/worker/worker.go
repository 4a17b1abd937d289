// Package worker holds what cmd/peerworker prints and cmd/runall reads:
// one measurement of one library, as JSON.
package worker

// Result is the JSON a worker prints.
type Result struct {
	Mode      string  `json:"mode"`
	Lib       string  `json:"lib"`
	Server    string  `json:"server"`
	TLS       bool    `json:"tls"`
	Mechanism string  `json:"mechanism"`
	N         int     `json:"n"`
	Error     string  `json:"error,omitempty"`
	MedianMs  float64 `json:"median_ms,omitempty"`
	P90Ms     float64 `json:"p90_ms,omitempty"`
	PerSec    float64 `json:"msgs_per_sec,omitempty"`
	CPUusPer  float64 `json:"cpu_us_per_msg,omitempty"`
	WallS     float64 `json:"wall_s,omitempty"`
	BytesPer  float64 `json:"bytes_per_session,omitempty"`
	HeapPer   float64 `json:"heap_per_session,omitempty"`
	StackPer  float64 `json:"stack_per_session,omitempty"`
	Goroutine float64 `json:"goroutines_per_session,omitempty"`
	// Samples are the login times in ms, in order (login).
	Samples []float64 `json:"samples_ms,omitempty"`
	// Sites and Goroutines (idle with -sites) break one session down.
	Sites      []Site      `json:"sites,omitempty"`
	Goroutines []Goroutine `json:"goroutines,omitempty"`
}

// Site is one allocation site's share of an idle session: the innermost
// function outside the runtime that allocated, and the first frame of the
// library under test that led to it.
type Site struct {
	Alloc   string  `json:"alloc"`   // e.g. "bufio.NewReaderSize"
	Caller  string  `json:"caller"`  // e.g. "xmpp.(*Client).readLoop client.go:123"
	Bytes   float64 `json:"bytes"`   // in use per session
	Objects float64 `json:"objects"` // in use per session
}

// Goroutine counts the goroutines per session by the function they run.
type Goroutine struct {
	Func  string  `json:"func"`
	Count float64 `json:"per_session"`
}
