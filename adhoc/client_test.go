package adhoc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/adhoc"
	"github.com/gojabber/xmpp/forms"
	"github.com/gojabber/xmpp/xmpptest/fake"
)

const responder = "responder@example.test"

// List keeps only the items of the entity asked (§5).
func TestList(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, requester, nil)
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		return fake.Result(iq, `<query xmlns='http://jabber.org/protocol/disco#items' node='`+adhoc.NS+`'>`+
			`<item jid='responder@example.test' node='list' name='List'/>`+
			`<item jid='responder@example.test/res' node='config' name='Configure'/>`+
			`<item jid='evil.example.test' node='steal' name='Steal'/>`+
			`</query>`), true
	})
	items, err := adhoc.List(t.Context(), c, xmpp.MustParseJID(responder))
	require.NoError(t, err)
	var nodes []string
	for _, it := range items {
		nodes = append(nodes, it.Node)
	}
	require.Equal(t, []string{"list", "config"}, nodes)
}

// The client's requests carry the session; error replies with a specific
// condition become an *adhoc.Error.
func TestExecuteStages(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, requester, nil)
	var sent []string
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		sent = append(sent, iq.Payload.Raw)
		p, err := adhoc.Parse(iq.Payload)
		if err != nil {
			return "", false
		}
		switch {
		case p.SessionID == "":
			return fake.Result(iq, `<command xmlns='`+adhoc.NS+`' node='config' sessionid='s1' status='executing'>`+
				`<actions execute='next'><next/></actions>`+
				`<x xmlns='jabber:x:data' type='form'><field var='service' type='list-single'><option><value>httpd</value></option></field></x></command>`), true
		case p.Action == adhoc.ActionNext:
			// No sessionid in the answer: the client keeps its own.
			return fake.Result(iq, `<command xmlns='`+adhoc.NS+`' node='config' status='completed'><note type='warn'>done</note></command>`), true
		}
		return `<iq type='error' id='` + iq.ID + `' from='` + responder + `'><error type='modify'>` +
			`<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><bad-action xmlns='` + adhoc.NS + `'/>` +
			`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no</text></error></iq>`, true
	})
	r, err := adhoc.Execute(t.Context(), c, xmpp.MustParseJID(responder), "config")
	require.NoError(t, err)
	require.Equal(t, "s1", r.SessionID)
	require.True(t, r.Allowed(adhoc.ActionNext))
	require.True(t, r.Allowed(adhoc.ActionExecute))
	require.True(t, r.Allowed(adhoc.ActionCancel))
	require.False(t, r.Allowed(adhoc.ActionPrev))
	require.False(t, r.Allowed(adhoc.ActionComplete))

	_, err = r.Prev(t.Context())
	require.ErrorIs(t, err, adhoc.ErrBadAction)
	require.ErrorIs(t, err, xmpp.ErrBadRequest)
	var ae *adhoc.Error
	require.True(t, errors.As(err, &ae))
	require.Equal(t, "no", ae.Stanza.Text)

	require.NoError(t, r.Form.Set("service", "httpd"))
	done, err := r.Next(t.Context(), r.Form)
	require.NoError(t, err)
	require.Equal(t, adhoc.StatusCompleted, done.Status)
	require.Equal(t, "s1", done.SessionID)
	require.Equal(t, []adhoc.Note{{Type: adhoc.NoteWarn, Text: "done"}}, done.Notes)
	require.False(t, done.Allowed(adhoc.ActionCancel))

	require.Len(t, sent, 3)
	require.Equal(t, `<command xmlns='`+adhoc.NS+`' node='config' action='execute'></command>`, sent[0])
	require.Equal(t, `<command xmlns='`+adhoc.NS+`' node='config' sessionid='s1' action='next'>`+
		`<x xmlns='jabber:x:data' type='submit'><field var='service' type='list-single'><value>httpd</value></field></x></command>`, sent[2],
		"the form is sent as its submit form")
}

// Responses that are no <command/> are malformed; plain stanza errors stay
// *xmpp.StanzaError.
func TestExecuteBadReplies(t *testing.T) {
	t.Parallel()
	c, s := fake.Start(t, requester, nil)
	replies := map[string]string{
		"empty":     ``,
		"other":     `<query xmlns='jabber:iq:version'/>`,
		"badstatus": `<command xmlns='` + adhoc.NS + `' node='x' status='running'/>`,
	}
	s.AnswerIQs(func(iq *xmpp.IQ) (string, bool) {
		node := iq.Payload.Attr("node")
		if node == "forbidden" {
			return `<iq type='error' id='` + iq.ID + `' from='` + responder + `'><error type='cancel'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`, true
		}
		return fake.Result(iq, replies[node]), true
	})
	for node := range replies {
		_, err := adhoc.Execute(t.Context(), c, xmpp.MustParseJID(responder), node)
		require.ErrorIs(t, err, xmpp.ErrMalformed, "Execute(%s)", node)
	}
	_, err := adhoc.Execute(t.Context(), c, xmpp.MustParseJID(responder), "forbidden")
	require.ErrorIs(t, err, xmpp.ErrForbidden)
	var ae *adhoc.Error
	require.False(t, errors.As(err, &ae), "Execute(forbidden) = %v, want no *adhoc.Error", err)

	_, err = adhoc.Send(t.Context(), c, xmpp.MustParseJID(responder), &adhoc.Payload{})
	require.ErrorIs(t, err, xmpp.ErrMalformed, "Send(no node)")
	_, err = adhoc.Send(t.Context(), c, xmpp.MustParseJID(responder), &adhoc.Payload{Node: "n", Form: &forms.Form{Type: "x"}})
	require.True(t, strings.Contains(err.Error(), "XEP-0050"), "Send(bad form) = %v", err)
}
