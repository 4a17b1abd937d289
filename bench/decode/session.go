package decode

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/bench/internal/scripted"
	"github.com/gojabber/xmpp/bench/peers"
	goxmpp "github.com/xmppo/go-xmpp"
	"mellium.im/xmlstream"
	mellium "mellium.im/xmpp"
)

// A SessionDecoder logs in to the scripted server at addr and returns run,
// which reads stanzas through the library's receive path, calling visit,
// until the server ends the stream.
type SessionDecoder func(ctx context.Context, addr string, visit Visit) (run func() error, err error)

func scriptedTarget(addr string) peers.Target {
	return peers.Target{Addr: addr, Server: "scripted", Domain: scripted.Domain, User: "bench", Password: "bench"}
}

// GoXMPP reads with go-xmpp's Client.Recv, the only receive path go-xmpp
// offers: it decodes each stanza with encoding/xml DecodeElement into its
// own structs and converts them to Chat, Presence, IQ, DiscoResult, ...
// Recv answers pings itself and does not return them. A Chat carries no id
// (only XEP-0359 origin and stanza ids) and no to; DiscoItems no from, to
// or type.
func GoXMPP(ctx context.Context, addr string, visit Visit) (func() error, error) {
	c, err := peers.GoXMPPOptions(scriptedTarget(addr)).NewClient()
	if err != nil {
		return nil, err
	}
	return func() error {
		for {
			v, err := c.Recv()
			if err != nil {
				if strings.Contains(err.Error(), "server closed stream") {
					return nil
				}
				return err
			}
			switch v := v.(type) {
			case goxmpp.Chat:
				visit(Message, v.Text, Attrs{Type: v.Type, From: v.Remote})
			case goxmpp.Presence:
				visit(Presence, "", Attrs{v.ID, v.Type, v.From, v.To})
			case goxmpp.IQ:
				visit(IQ, "", Attrs{v.ID, v.Type, v.From, v.To})
			case goxmpp.DiscoResult:
				visit(IQ, "", Attrs{ID: v.ID, From: v.From, To: v.To})
			case goxmpp.DiscoItems:
				visit(IQ, "", Attrs{ID: v.ID})
			default:
				visit(Other, fmt.Sprintf("%T", v), Attrs{})
			}
		}
	}, nil
}

// Mellium reads with mellium's Session.Serve and an xmpp.HandlerFunc that,
// like mellium's echobot example, wraps the handler's token reader in
// xml.NewTokenDecoder and decodes every stanza into a struct (see
// melliumElement for the one change from the example); the structs
// are the encoding/xml baseline's, so the difference between the two rows is
// mellium's session layer (xmlstream token readers, stanza routing, IQ
// auto-replies).
func Mellium(ctx context.Context, addr string, visit Visit) (func() error, error) {
	s, err := peers.MelliumLogin(ctx, scriptedTarget(addr))
	if err != nil {
		return nil, err
	}
	return func() error {
		defer s.Close()
		return s.Serve(mellium.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			d := xml.NewTokenDecoder(melliumElement(r, start))
			se, err := d.Token()
			if err != nil {
				return err
			}
			k, body, a, err := decodeBaseline(d, ptr(se.(xml.StartElement)))
			if err != nil {
				return err
			}
			visit(k, body, a)
			return nil
		}))
	}, nil
}

// oursHandler visits the messages and presences a session hands it, and
// leaves IQ requests to be answered with service-unavailable.
type oursHandler struct{ visit Visit }

func (h oursHandler) OnMessage(_ xmpp.Session, m *xmpp.Message) {
	h.visit(Message, m.Body, oursAttrs(&m.Header, m.Type))
}

func (h oursHandler) OnPresence(_ xmpp.Session, p *xmpp.Presence) {
	h.visit(Presence, "", oursAttrs(&p.Header, p.Type))
}

func (oursHandler) OnIQ(xmpp.Session, *xmpp.IQ) (*xmpp.IQ, error) { return nil, nil }

// OursSession reads with gojabber's Client: its reader goroutine decodes,
// its handler goroutine calls the Handler's OnMessage and OnPresence. IQs
// are not handed to the user here (results nobody waits for are dropped,
// requests are answered), so only messages and presences are visited.
func OursSession(ctx context.Context, addr string, visit Visit) (func() error, error) {
	t := scriptedTarget(addr)
	o := peers.OursOptions(t)
	o.Handler = oursHandler{visit}
	o.HandlerQueueBytes = 8 << 20
	c, err := xmpp.Dial(ctx, t.JID(), t.Password, o)
	if err != nil {
		return nil, err
	}
	return func() error {
		<-c.Done()
		return nil
	}, nil
}

// melliumElement returns the whole element a mellium handler is called for:
// its start element followed by the handler's token reader, which holds the
// element's content and end tag. The echobot example instead calls
// DecodeElement(&v, start) on xml.NewTokenDecoder(r); with Go 1.26 that
// fails on every stanza with "unexpected end element" (the decoder never saw
// the start tag that the end tag closes), and the example only logs it.
func melliumElement(r xml.TokenReader, start *xml.StartElement) xml.TokenReader {
	return xmlstream.MultiReader(xmlstream.Token(start.Copy()), r)
}

func ptr[T any](v T) *T { return &v }
