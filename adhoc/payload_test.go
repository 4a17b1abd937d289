package adhoc_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/adhoc"
	"github.com/gojabber/xmpp/forms"
)

// The <command/> elements of the XEP's examples (§2.4), and what Parse
// reads from them.
var parseTests = []struct {
	name string
	raw  string
	want adhoc.Payload
	form bool // want a form; its content is checked by package forms
}{
	{
		name: "execute request (§2.4.1)",
		raw:  `<command xmlns='http://jabber.org/protocol/commands' node='list' action='execute'/>`,
		want: adhoc.Payload{Node: "list", Action: adhoc.ActionExecute},
	},
	{
		name: "stage 1 result (§2.4.2)",
		raw: `<command xmlns='http://jabber.org/protocol/commands' sessionid='config:20020923T213616Z-700' node='config' status='executing'>` +
			`<actions execute='next'><next/></actions>` +
			`<x xmlns='jabber:x:data' type='form'><title>Configure Service</title><field var='service' label='Service' type='list-single'><option><value>httpd</value></option></field></x>` +
			`</command>`,
		want: adhoc.Payload{Node: "config", SessionID: "config:20020923T213616Z-700", Status: adhoc.StatusExecuting,
			Actions: []adhoc.Action{adhoc.ActionNext}, Default: adhoc.ActionNext},
		form: true,
	},
	{
		name: "stage 2 result (§2.4.2)",
		raw: `<command xmlns='http://jabber.org/protocol/commands' sessionid='s' node='config' status='executing'>` +
			`<actions execute='complete'><prev/><complete/></actions></command>`,
		want: adhoc.Payload{Node: "config", SessionID: "s", Status: adhoc.StatusExecuting,
			Actions: []adhoc.Action{adhoc.ActionPrev, adhoc.ActionComplete}, Default: adhoc.ActionComplete},
	},
	{
		name: "completed with a note (§2.4.2)",
		raw: `<command xmlns='http://jabber.org/protocol/commands' sessionid='s' node='config' status='completed'>` +
			`<note type='info'>Service &apos;httpd&apos; has been configured.</note><note>implied info</note><note type='error'>bad</note></command>`,
		want: adhoc.Payload{Node: "config", SessionID: "s", Status: adhoc.StatusCompleted, Notes: []adhoc.Note{
			{Type: adhoc.NoteInfo, Text: "Service 'httpd' has been configured."},
			{Type: adhoc.NoteInfo, Text: "implied info"},
			{Type: adhoc.NoteError, Text: "bad"},
		}},
	},
	{
		name: "canceled (§2.4.3), language (§3.7)",
		raw:  `<command xmlns='http://jabber.org/protocol/commands' sessionid='s' node='config' status='canceled' xml:lang='en-us'/>`,
		want: adhoc.Payload{Node: "config", SessionID: "s", Status: adhoc.StatusCanceled, Lang: "en-us"},
	},
	{
		name: "empty actions, other payloads",
		raw: `<command xmlns='http://jabber.org/protocol/commands' node='n' status='executing'><actions/>` +
			`<x xmlns='jabber:x:oob'><url>http://example.com/</url></x><unknown xmlns='http://jabber.org/protocol/commands'/></command>`,
		want: adhoc.Payload{Node: "n", Status: adhoc.StatusExecuting, Actions: []adhoc.Action{},
			Payloads: []xmpp.Element{mustElement(`<x xmlns='jabber:x:oob'><url>http://example.com/</url></x>`)}},
	},
}

func mustElement(raw string) xmpp.Element {
	el, err := xmpp.ParseElement(raw)
	if err != nil {
		panic(err)
	}
	return el
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := adhoc.Parse(mustElement(tt.raw))
			require.NoError(t, err, "Parse(%s)", tt.raw)
			require.Equal(t, tt.form, got.Form != nil, "Parse(%s).Form = %v", tt.raw, got.Form)
			form := got.Form
			got.Form = nil
			require.Equal(t, tt.want, *got, "Parse(%s)", tt.raw)

			// Element writes what parses to the same payload.
			got.Form = form
			el, err := got.Element()
			require.NoError(t, err)
			again, err := adhoc.Parse(el)
			require.NoError(t, err, "Parse(Element()) of %s", el.Raw)
			require.Equal(t, got, again, "Parse(%s)", el.Raw)
		})
	}
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	tests := []string{
		`<query xmlns='http://jabber.org/protocol/disco#info'/>`,
		`<command xmlns='urn:other' node='n'/>`,
		`<command xmlns='http://jabber.org/protocol/commands'/>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='n' action='run'/>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='n' status='done'/>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='n'><actions execute='cancel'/></command>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='n'><actions><finish/></actions></command>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='n'><actions/><actions/></command>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='n'><note type='fatal'>x</note></command>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='n'><x xmlns='jabber:x:data' type='bogus'/></command>`,
	}
	for _, raw := range tests {
		_, err := adhoc.Parse(mustElement(raw))
		var me *xmpp.MalformedError
		require.True(t, errors.As(err, &me), "Parse(%s) = %v, want an *xmpp.MalformedError", raw, err)
		require.Equal(t, "XEP-0050", me.Spec, "Parse(%s)", raw)
	}
	_, err := adhoc.Parse(xmpp.Element{})
	require.ErrorIs(t, err, xmpp.ErrMalformed, "Parse(zero)")
}

func TestElementRefuses(t *testing.T) {
	t.Parallel()
	tests := []adhoc.Payload{
		{},
		{Node: "n", Action: "run"},
		{Node: "n", Status: "done"},
		{Node: "n", Actions: []adhoc.Action{adhoc.ActionCancel}},
		{Node: "n", Default: adhoc.ActionExecute},
		{Node: "n", Notes: []adhoc.Note{{Type: "fatal"}}},
		{Node: "n", Form: &forms.Form{Type: "bogus"}},
	}
	for _, p := range tests {
		_, err := p.Element()
		require.ErrorIs(t, err, xmpp.ErrMalformed, "%+v.Element()", p)
	}
}

// Conditions map to the defined conditions and types of §4.4, and an
// *Error matches both.
func TestConditions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    adhoc.Condition
		cond xmpp.StanzaCondition
		typ  xmpp.ErrorType
	}{
		{adhoc.ErrMalformedAction, xmpp.ErrBadRequest, xmpp.ErrorTypeModify},
		{adhoc.ErrBadAction, xmpp.ErrBadRequest, xmpp.ErrorTypeModify},
		{adhoc.ErrBadLocale, xmpp.ErrBadRequest, xmpp.ErrorTypeModify},
		{adhoc.ErrBadPayload, xmpp.ErrBadRequest, xmpp.ErrorTypeModify},
		{adhoc.ErrBadSessionID, xmpp.ErrBadRequest, xmpp.ErrorTypeModify},
		{adhoc.ErrSessionExpired, xmpp.ErrNotAllowed, xmpp.ErrorTypeCancel},
	}
	for _, tt := range tests {
		se := tt.c.StanzaError("why")
		require.Equal(t, tt.cond, se.Condition, "%s.StanzaError().Condition", tt.c)
		require.Equal(t, tt.typ, se.Type, "%s.StanzaError().Type", tt.c)
		require.Equal(t, "why", se.Text)
		require.Len(t, se.Extensions, 1)
		require.Equal(t, "<"+string(tt.c)+" xmlns='"+adhoc.NS+"'/>", se.Extensions[0].Raw)
		var err error = &adhoc.Error{Condition: tt.c, Stanza: se}
		require.ErrorIs(t, err, tt.c)
		require.ErrorIs(t, err, tt.cond)
		require.NotErrorIs(t, err, adhoc.Condition("other"))
	}
}

// FuzzParse checks that Parse never panics, and that what it accepts
// encodes to an element that parses to the same payload.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.raw)
	}
	f.Add(`<command xmlns='http://jabber.org/protocol/commands' node='n'><actions execute='prev'><prev/><prev/></actions></command>`)
	f.Fuzz(func(t *testing.T, raw string) {
		el, err := xmpp.ParseElement(raw)
		if err != nil {
			return
		}
		p, err := adhoc.Parse(el)
		if err != nil {
			if !errors.Is(err, xmpp.ErrMalformed) {
				t.Fatalf("Parse(%q) = %v, want an xmpp.ErrMalformed", raw, err)
			}
			return
		}
		out, err := p.Element()
		if err != nil {
			t.Fatalf("Parse(%q).Element() = %v", raw, err)
		}
		again, err := adhoc.Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) = %v, the Element of Parse(%q)", out.Raw, err, raw)
		}
		if p.Node != again.Node || p.SessionID != again.SessionID || p.Status != again.Status ||
			p.Action != again.Action || len(p.Notes) != len(again.Notes) || (p.Form == nil) != (again.Form == nil) ||
			len(p.Payloads) != len(again.Payloads) || len(p.Actions) != len(again.Actions) || p.Default != again.Default {
			t.Fatalf("Parse(Element(Parse(%q))) = %+v, want %+v", raw, again, p)
		}
	})
}
