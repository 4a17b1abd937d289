package main

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// bar writes a bar chart of values labelled by labels to results/file.
func bar(file, title, ylabel string, labels []string, values []float64) error {
	if len(values) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	// gojabber's bars in blue, the others in grey.
	ours, others := make(plotter.Values, len(values)), make(plotter.Values, len(values))
	for i, v := range values {
		if strings.HasPrefix(labels[i], "gojabber") {
			ours[i] = v
		} else {
			others[i] = v
		}
	}
	for _, bv := range []struct {
		v plotter.Values
		c color.Color
	}{{others, color.Gray{Y: 120}}, {ours, color.RGBA{R: 30, G: 90, B: 200, A: 255}}} {
		b, err := plotter.NewBarChart(bv.v, vg.Points(28))
		if err != nil {
			return err
		}
		b.LineStyle.Width = vg.Length(0)
		b.Color = bv.c
		p.Add(b)
	}
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = 0.5
	p.X.Tick.Label.XAlign = -1
	p.X.Tick.Label.YAlign = -0.5
	w := vg.Length(90+55*len(values)) * vg.Points(1)
	return p.Save(w, 4*vg.Inch, filepath.Join(*resultsDir, file))
}

func plots(r *report) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var l []string
	var ns, allocs []float64
	for _, d := range r.Decode {
		l = append(l, d.Lib)
		ns = append(ns, d.NsPerStanza)
		allocs = append(allocs, d.AllocsPer)
	}
	add(bar("decode-ns.png", "Decode: time per stanza (lower is better)", "ns/stanza", l, ns))
	add(bar("decode-allocs.png", "Decode: allocations per stanza", "allocs/stanza", l, allocs))

	l, ns = nil, nil
	for _, w := range r.Login {
		if w.Error == "" {
			l = append(l, w.Lib+"@"+w.Server)
			ns = append(ns, w.MedianMs)
		}
	}
	add(bar("login.png", "Login: dial to bound resource, median (lower is better)", "ms", l, ns))

	l, ns, allocs = nil, nil, nil
	var ll []string
	for _, w := range r.RoundTrip {
		if w.Error == "" {
			ll = append(ll, w.Lib+"@"+w.Server)
			allocs = append(allocs, w.PerSec)
			if w.Server != "prosody-full-archive" { // a demonstration, not a library figure
				l = append(l, w.Lib+"@"+w.Server)
				ns = append(ns, w.CPUusPer)
			}
		}
	}
	add(bar("roundtrip-cpu.png", "Round trip: client CPU per message (lower is better)", "µs CPU (user+sys) / message", l, ns))
	add(bar("roundtrip-rate.png", "Round trip: echoed messages per second", "messages/s", ll, allocs))

	l, ns = nil, nil
	for _, w := range r.Idle {
		if w.Error == "" {
			tls := "no TLS"
			if w.TLS {
				tls = "TLS"
			}
			l = append(l, fmt.Sprintf("%s %s", w.Lib, tls))
			ns = append(ns, w.BytesPer/1024)
		}
	}
	add(bar("idle.png", "Idle session: heap+stack per session (lower is better)", "KiB/session", l, ns))
	if len(errs) > 0 {
		return fmt.Errorf("%v", errs)
	}
	return nil
}
