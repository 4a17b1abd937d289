package mam

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/rsm"
)

// Query selects archived messages (XEP-0313, "Querying an archive"). Its
// zero value matches the whole archive. The filters are sent as the
// urn:xmpp:mam:2 data form (XEP-0004); a zero field is left out.
type Query struct {
	// With keeps the messages exchanged with this JID: with its bare JID,
	// messages to and from all its resources; with a full JID, only that
	// resource.
	With xmpp.JID
	// Start keeps the messages the archive received at or after Start.
	Start time.Time
	// End keeps the messages the archive received at or before End.
	End time.Time
	// AfterID keeps the messages after the one with this archive id, and
	// BeforeID those before the one with this id. Archives announce these
	// filters with the NSExtended feature (Prosody 0.12 does, ejabberd
	// 23.01 does not).
	AfterID, BeforeID string
	// RSM selects the page (XEP-0059): size, and after or before which
	// archive id. Fetch caps RSM.Max at Options.MaxResults.
	RSM rsm.Set
	// Node is the pubsub node to query, for pubsub archives.
	Node string
}

// Element returns the <query/> payload of an archive query with the
// given queryid, which the archive copies into each result.
func (q Query) Element(queryID string) (xmpp.Element, error) {
	var b strings.Builder
	b.WriteString("<query xmlns='" + NS + "' queryid='")
	escape(&b, queryID)
	b.WriteByte('\'')
	if q.Node != "" {
		b.WriteString(" node='")
		escape(&b, q.Node)
		b.WriteByte('\'')
	}
	b.WriteByte('>')
	var fields [][2]string
	if !q.With.IsZero() {
		fields = append(fields, [2]string{"with", q.With.String()})
	}
	if !q.Start.IsZero() {
		fields = append(fields, [2]string{"start", formatTime(q.Start)})
	}
	if !q.End.IsZero() {
		fields = append(fields, [2]string{"end", formatTime(q.End)})
	}
	if q.AfterID != "" {
		fields = append(fields, [2]string{"after-id", q.AfterID})
	}
	if q.BeforeID != "" {
		fields = append(fields, [2]string{"before-id", q.BeforeID})
	}
	if len(fields) > 0 {
		b.WriteString("<x xmlns='" + nsData + "' type='submit'>")
		b.WriteString("<field var='FORM_TYPE' type='hidden'><value>" + NS + "</value></field>")
		for _, f := range fields {
			b.WriteString("<field var='" + f[0] + "'><value>")
			escape(&b, f[1])
			b.WriteString("</value></field>")
		}
		b.WriteString("</x>")
	}
	if !q.RSM.IsZero() {
		set, err := q.RSM.Element()
		if err != nil {
			return xmpp.Element{}, err
		}
		b.WriteString(set.Raw)
	}
	b.WriteString("</query>")
	e, err := xmpp.ParseElement(b.String())
	if err != nil {
		return xmpp.Element{}, fmt.Errorf("mam: building query: %w", err)
	}
	return e, nil
}

// formatTime formats t as an XEP-0082 DateTime in UTC, with microseconds
// when it has any.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999999Z")
}

func escape(b *strings.Builder, s string) {
	xml.EscapeText(b, []byte(s)) // never fails on a strings.Builder
}
