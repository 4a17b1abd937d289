package pubsub_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/pubsub"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

const ev = "<event xmlns='http://jabber.org/protocol/pubsub#event'>"

func TestParseEvent(t *testing.T) {
	t.Parallel()
	from := xmpp.MustParseJID("pubsub.example.test")
	h := func(node string) pubsub.EventHeader { return pubsub.EventHeader{From: from, Node: node} }
	tests := []struct {
		name string
		in   string
		want []string // a summary of each event
	}{
		{"items", ev + "<items node='n'><item id='1' publisher='a@example.test'><x xmlns='urn:t'>one</x></item><item id='2'/></items></event>",
			[]string{"items n 1:one 2:"}},
		{"retract", ev + "<items node='n'><retract id='1'/><retract id='2'/></items></event>", []string{"retract n 1 2"}},
		{"mixed", ev + "<items node='n'><retract id='0'/><item id='1'/></items><purge node='m'/></event>",
			[]string{"retract n 0", "items n 1:", "purge m"}},
		{"delete", ev + "<delete node='n'><redirect uri='xmpp:x?;node=y'/></delete></event>", []string{"delete n xmpp:x?;node=y"}},
		{"config", ev + "<configuration node='n'><x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field><field var='pubsub#title'><value>T</value></field></x></configuration></event>",
			[]string{"config n T"}},
		{"config without form", ev + "<configuration node='n'/></event>", []string{"config n <nil>"}},
		{"subscription ignored", ev + "<subscription node='n' jid='a@example.test' subscription='subscribed'/></event>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := fake.Message(t, "<message from='pubsub.example.test' to='a@example.test'>"+tt.in+"</message>")
			require.True(t, pubsub.HasEvent(m), "HasEvent")
			events, err := pubsub.ParseEvent(m)
			require.NoError(t, err)
			var got []string
			for _, e := range events {
				got = append(got, summary(e))
				f, n := e.Source()
				require.Equal(t, h(n).From, f)
			}
			require.Equal(t, tt.want, got, "ParseEvent(%s)", tt.in)
		})
	}
}

func summary(e pubsub.Event) string {
	switch e := e.(type) {
	case *pubsub.ItemsEvent:
		s := "items " + e.Node
		for _, it := range e.Items {
			s += " " + it.ID + ":" + it.Payload.Text()
		}
		return s
	case *pubsub.RetractEvent:
		s := "retract " + e.Node
		for _, id := range e.IDs {
			s += " " + id
		}
		return s
	case *pubsub.DeleteEvent:
		return "delete " + e.Node + " " + e.Redirect
	case *pubsub.PurgeEvent:
		return "purge " + e.Node
	case *pubsub.ConfigEvent:
		if e.Config == nil {
			return "config " + e.Node + " <nil>"
		}
		return "config " + e.Node + " " + e.Config.Value(pubsub.Title)
	}
	return "?"
}

func TestParseEventMalformed(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		ev + "<items><item id='1'/></items></event>",
		ev + "<items node='n'/></event>",
		ev + "<items node='n'><retract/></items></event>",
		ev + "<frobnicate node='n'/></event>",
		ev + "<configuration node='n'><x xmlns='jabber:x:data' type='bogus'/></configuration></event>",
	} {
		m := fake.Message(t, "<message from='pubsub.example.test'>"+in+"</message>")
		_, err := pubsub.ParseEvent(m)
		fake.RequireMalformed(t, err, "XEP-0060", "ParseEvent(%s)", in)
	}
}

func TestParseEventNone(t *testing.T) {
	t.Parallel()
	m := fake.Message(t, "<message from='a@example.test'><body>hi</body></message>")
	require.False(t, pubsub.HasEvent(m))
	events, err := pubsub.ParseEvent(m)
	require.NoError(t, err)
	require.Empty(t, events)
}

func TestErrorIs(t *testing.T) {
	t.Parallel()
	cond := mustElement(t, "<precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/>")
	unsup := mustElement(t, "<unsupported xmlns='http://jabber.org/protocol/pubsub#errors' feature='publish-options'/>")
	tests := []struct {
		se      *xmpp.StanzaError
		matches []error
		not     []error
	}{
		{&xmpp.StanzaError{Type: xmpp.ErrorTypeModify, Condition: xmpp.ErrConflict, Extensions: []xmpp.Element{cond}},
			[]error{pubsub.ErrPreconditionNotMet, xmpp.ErrConflict}, []error{pubsub.ErrNotSupported, pubsub.ErrNotSubscribed}},
		{&xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrFeatureNotImplemented, Extensions: []xmpp.Element{unsup}},
			[]error{pubsub.ErrUnsupported, pubsub.ErrNotSupported, xmpp.ErrFeatureNotImplemented}, []error{pubsub.ErrPreconditionNotMet}},
		{&xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrItemNotFound},
			[]error{xmpp.ErrItemNotFound}, []error{pubsub.ErrNotSupported}},
	}
	for _, tt := range tests {
		err := pubsub.WrapError(tt.se)
		for _, m := range tt.matches {
			require.True(t, errors.Is(err, m), "errors.Is(%v, %v) = false, want true", err, m)
		}
		for _, m := range tt.not {
			require.False(t, errors.Is(err, m), "errors.Is(%v, %v) = true, want false", err, m)
		}
	}
}

func mustElement(t *testing.T, raw string) xmpp.Element {
	t.Helper()
	el, err := xmpp.ParseElement(raw)
	require.NoError(t, err)
	return el
}

func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		ev + "<items node='n'><item id='1' publisher='a@example.test'><x xmlns='urn:t'>one</x></item><retract id='2'/></items></event>",
		ev + "<delete node='n'><redirect uri='u'/></delete><purge node='p'/></event>",
		ev + "<configuration node='n'><x xmlns='jabber:x:data' type='result'><field var='a'><value>1</value></field></x></configuration></event>",
	} {
		f.Add("<message from='pubsub.example.test'>" + s + "</message>")
	}
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		st, err := xmpp.DecodeStanza(el)
		if err != nil {
			return
		}
		m, ok := st.(*xmpp.Message)
		if !ok {
			return
		}
		events, err := pubsub.ParseEvent(m)
		if err != nil {
			if !errors.Is(err, xmpp.ErrMalformed) {
				t.Fatalf("ParseEvent error %v is not ErrMalformed", err)
			}
			return
		}
		for _, e := range events {
			if _, n := e.Source(); n == "" {
				t.Fatalf("event %T without node", e)
			}
		}
	})
}
