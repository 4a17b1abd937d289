package integration_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/muc"
)

// mucBenchOccupants is how many of our clients BenchmarkMUCJoin puts in
// one room.
const mucBenchOccupants = 200

// BenchmarkMUCJoin joins 200 of our clients, one after the other, to one
// new room on Prosody, and reports the mean and the last join time (the
// last joiner gets 199 occupant presences first) and the client memory
// each joined client holds, in all and per occupant it tracks. The clients
// are one account's 200 sessions, logged in before the timer starts. See
// muc/BENCHMARKS.md.
func BenchmarkMUCJoin(b *testing.B) {
	srv := prosody.Server(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	user := "mucbench-" + strings.ToLower(rand.Text()[:8])
	if err := srv.AddUser(ctx, user, user+"-pass"); err != nil {
		b.Fatal(err)
	}
	type client struct {
		c     *xmpp.Client
		rooms *muc.Manager
	}
	clients := make([]client, mucBenchOccupants)
	var wg sync.WaitGroup
	errs := make(chan error, mucBenchOccupants)
	for i := range clients {
		wg.Go(func() {
			mux := xmpp.NewMux()
			rooms := muc.New(mux, nil)
			c, err := xmpp.Dial(ctx, srv.JID(user), user+"-pass", &xmpp.Options{
				Server: srv.C2SAddr, TLSConfig: srv.TLSConfig(), Handler: mux,
				Resource: fmt.Sprintf("r%03d", i),
			})
			if err != nil {
				errs <- err
				return
			}
			clients[i] = client{c, rooms}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	defer func() {
		for _, c := range clients {
			c.c.Close()
		}
	}()

	var total, last time.Duration
	var heap float64
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		room := mucRoom(srv, "bench")
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		joined := make([]*muc.Room, len(clients))
		b.StartTimer()
		for i, c := range clients {
			start := time.Now()
			r, err := c.rooms.Join(ctx, c.c, room, fmt.Sprintf("occupant%03d", i), nil)
			d := time.Since(start)
			if err != nil {
				b.Fatalf("join %d: %v", i, err)
			}
			if i == 0 {
				b.StopTimer()
				if err := r.CreateInstant(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			total += d
			if i == len(clients)-1 {
				last += d
			}
			joined[i] = r
		}
		b.StopTimer()
		// Wait until the first joiner has seen everyone, then measure.
		deadline := time.Now().Add(time.Minute)
		for len(joined[0].Occupants()) < len(clients) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms1)
		heap += float64(ms1.HeapAlloc) - float64(ms0.HeapAlloc)
		for _, r := range joined {
			if err := r.Leave(ctx, ""); err != nil {
				b.Fatal(err)
			}
		}
		runtime.KeepAlive(joined)
		b.StartTimer()
	}
	b.StopTimer()
	joins := float64(b.N * len(clients))
	b.ReportMetric(float64(total.Microseconds())/1000/joins, "ms/join")
	b.ReportMetric(float64(last.Microseconds())/1000/float64(b.N), "ms/last-join")
	b.ReportMetric(heap/joins, "B/client-in-room")
	b.ReportMetric(heap/joins/float64(len(clients)), "B/occupant-tracked")
	b.ReportMetric(0, "ns/op")
}
