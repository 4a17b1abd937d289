package entitytime

import (
	"context"
	"encoding/xml"
	"fmt"
	"strconv"
	"time"

	"github.com/gojabber/xmpp"
)

// NS is the namespace of XEP-0202.
const NS = "urn:xmpp:time"

var request = func() xmpp.Element {
	el, err := xmpp.ParseElement("<time xmlns='" + NS + "'/>")
	if err != nil {
		panic(err) // a constant
	}
	return el
}()

// Get asks to for its time (§3). It returns the entity's clock reading in
// the entity's time zone (a fixed zone of offset), and the offset from UTC
// the entity reported. A zero to asks the user's own server. An error reply
// is returned as an *xmpp.StanzaError; a reply that does not follow XEP-0202
// (no <time xmlns='urn:xmpp:time'/>, a missing or invalid <tzo/> or <utc/>)
// as an *xmpp.MalformedError.
func Get(ctx context.Context, s xmpp.Session, to xmpp.JID) (t time.Time, offset time.Duration, err error) {
	r, err := s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: to}, Type: xmpp.IQGet, Payload: request})
	if err != nil {
		return time.Time{}, 0, err
	}
	return parse(r.Payload)
}

func parse(el xmpp.Element) (time.Time, time.Duration, error) {
	malformed := func(format string, args ...any) (time.Time, time.Duration, error) {
		return time.Time{}, 0, &xmpp.MalformedError{Spec: "XEP-0202", Reason: fmt.Sprintf(format, args...), Raw: el.Raw}
	}
	if el.Name != (xml.Name{Space: NS, Local: "time"}) {
		if el.IsZero() {
			return malformed("result without <time xmlns='%s'/>", NS)
		}
		return malformed("result payload is {%s}%s", el.Name.Space, el.Name.Local)
	}
	tzo, ok := el.Child(NS, "tzo")
	if !ok {
		return malformed("no <tzo/>")
	}
	utc, ok := el.Child(NS, "utc")
	if !ok {
		return malformed("no <utc/>")
	}
	offset, err := parseTZD(tzo.Text())
	if err != nil {
		return malformed("tzo: %v", err)
	}
	t, err := time.Parse(time.RFC3339Nano, utc.Text())
	if err != nil {
		return malformed("utc: %v", err)
	}
	return t.In(time.FixedZone(formatTZD(offset), int(offset/time.Second))), offset, nil
}

// parseTZD parses a time zone definition of XEP-0082 §4: "Z" or
// (+|-)hh:mm.
func parseTZD(s string) (time.Duration, error) {
	if s == "Z" {
		return 0, nil
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, fmt.Errorf("%q is not Z or (+|-)hh:mm", s)
	}
	h, err1 := strconv.ParseUint(s[1:3], 10, 8)
	m, err2 := strconv.ParseUint(s[4:6], 10, 8)
	if err1 != nil || err2 != nil || h > 23 || m > 59 {
		return 0, fmt.Errorf("%q is not Z or (+|-)hh:mm", s)
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if s[0] == '-' {
		d = -d
	}
	return d, nil
}

// formatTZD formats an offset as (+|-)hh:mm, the form of the examples of
// XEP-0202 §3; a zero offset is "+00:00".
func formatTZD(d time.Duration) string {
	sign := '+'
	if d < 0 {
		sign, d = '-', -d
	}
	m := int(d / time.Minute)
	return fmt.Sprintf("%c%02d:%02d", sign, m/60, m%60)
}

// Register makes mux answer time requests with the current time (§3) and
// adds urn:xmpp:time to its features (§4). The offset is that of the local
// time zone; see RegisterClock to report another one, e.g. UTC to keep the
// user's location private (§6).
func Register(mux *xmpp.Mux) {
	RegisterClock(mux, time.Now)
}

// RegisterClock is Register with a clock: answers give now() as <utc/>, to
// the millisecond, and the offset of its location as <tzo/>.
func RegisterClock(mux *xmpp.Mux, now func() time.Time) {
	mux.HandleIQ(xmpp.IQGet, NS, "time", func(xmpp.Session, *xmpp.IQ) (*xmpp.IQ, error) {
		el, err := element(now())
		if err != nil {
			return nil, err
		}
		return &xmpp.IQ{Payload: el}, nil
	})
}

// element returns the <time/> payload of a result for t (§3): its offset
// from UTC as <tzo/> and t in UTC, to the millisecond, as <utc/>.
func element(t time.Time) (xmpp.Element, error) {
	_, secs := t.Zone()
	offset := time.Duration(secs) * time.Second
	utc := t.UTC().Format("2006-01-02T15:04:05.999Z")
	return xmpp.ParseElement("<time xmlns='" + NS + "'><tzo>" + formatTZD(offset) + "</tzo><utc>" + utc + "</utc></time>")
}
