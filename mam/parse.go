package mam

import (
	"fmt"
	"strings"
	"time"

	"github.com/gojabber/xmpp/forward"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/rsm"
)

// HasResult reports whether m is an archive result: a message carrying a
// urn:xmpp:mam:2 <result/>. Such a message is a copy of an old message sent
// in answer to a query, not a new one, whether or not the Archive accepted
// it; message handlers that share a Mux with an Archive should skip it.
func HasResult(m *xmpp.Message) bool {
	_, ok := resultElement(m)
	return ok
}

func resultElement(m *xmpp.Message) (xmpp.Element, bool) {
	for _, e := range m.Extensions {
		if e.Name.Space == NS && e.Name.Local == "result" {
			return e, true
		}
	}
	return xmpp.Element{}, false
}

// parseResult reads a <result/>: its id, and the forwarded message with its
// delay (XEP-0297, XEP-0203).
func parseResult(el xmpp.Element) (Result, error) {
	r := Result{ID: el.Attr("id")}
	if r.ID == "" {
		return Result{}, &xmpp.MalformedError{Spec: "XEP-0313", Reason: "<result/> without id"}
	}
	fwd, ok := el.Child(nsForward, "forwarded")
	if !ok {
		return Result{}, &xmpp.MalformedError{Spec: "XEP-0313", Reason: fmt.Sprintf("<result id=%q/> without <forwarded/>", r.ID)}
	}
	if d, ok := fwd.Child(nsDelay, "delay"); ok {
		stamp := d.Attr("stamp")
		t, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			return Result{}, &xmpp.MalformedError{Spec: "XEP-0313", Reason: fmt.Sprintf("<result id=%q/>: bad <delay/> stamp %q", r.ID, stamp), Err: err}
		}
		r.Stamp = t
	}
	inner, ok := fwd.Child(xmpp.NSClient, "message")
	if !ok {
		return Result{}, &xmpp.MalformedError{Spec: "XEP-0313", Reason: fmt.Sprintf("<result id=%q/>: <forwarded/> without a jabber:client <message/>", r.ID)}
	}
	m, err := forward.DecodeMessage(inner)
	if err != nil {
		return Result{}, &xmpp.MalformedError{Spec: "XEP-0313", Reason: fmt.Sprintf("<result id=%q/>: forwarded message", r.ID), Err: err}
	}
	r.Message = m
	return r, nil
}

// parseFin reads the payload of the archive's IQ result: <fin/> with its
// complete and stable attributes and the RSM page description.
func parseFin(e xmpp.Element) (*Page, error) {
	if e.Name.Space != NS || e.Name.Local != "fin" {
		if e.IsZero() {
			return nil, &xmpp.MalformedError{Spec: "XEP-0313", Reason: "IQ result without <fin/>"}
		}
		return nil, &xmpp.MalformedError{Spec: "XEP-0313", Reason: fmt.Sprintf("IQ result with {%s}%s instead of <fin/>", e.Name.Space, e.Name.Local)}
	}
	p := &Page{Stable: true, RSM: rsm.Result{FirstIndex: -1, Count: -1}}
	var err error
	if p.Complete, err = parseBool(e.Attr("complete"), false); err != nil {
		return nil, &xmpp.MalformedError{Spec: "XEP-0313", Reason: "<fin/> complete", Err: err}
	}
	if p.Stable, err = parseBool(e.Attr("stable"), true); err != nil {
		return nil, &xmpp.MalformedError{Spec: "XEP-0313", Reason: "<fin/> stable", Err: err}
	}
	if set, ok := e.Child(rsm.NS, "set"); ok {
		if p.RSM, err = rsm.ParseResult(set); err != nil {
			return nil, &xmpp.MalformedError{Spec: "XEP-0313", Reason: "<fin/>", Err: err}
		}
	}
	return p, nil
}

// parseBool parses an xs:boolean attribute; def is the value when absent.
func parseBool(s string, def bool) (bool, error) {
	switch strings.TrimSpace(s) {
	case "":
		return def, nil
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}
