package xmpp

import (
	"bytes"
	"testing"
)

func TestEncoderNSEach(t *testing.T) {
	t.Parallel()
	ping, err := ParseElement("<ping xmlns='urn:xmpp:ping'/>")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s    Stanza
		want string
	}{
		{&Message{Header: Header{ID: "1"}, Body: "hi"}, `<message xmlns='jabber:client' id='1'><body>hi</body></message>`},
		{&Presence{}, `<presence xmlns='jabber:client'/>`},
		{&IQ{Header: Header{ID: "q"}, Type: IQGet, Payload: ping}, `<iq xmlns='jabber:client' id='q' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`},
	} {
		var buf bytes.Buffer
		e := NewEncoder(&buf)
		e.nsEach = true
		if err := e.Encode(tc.s); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != tc.want {
			t.Errorf("Encode(%T) = %s, want %s", tc.s, got, tc.want)
		}
	}
}
