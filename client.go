package xmpp

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
)

// STUB: replaced by the session implementation (owner: session helper).

// Options configure a session. A nil *Options means the defaults.
type Options struct {
	Resource      string
	Server        string
	DirectTLS     bool
	TLSConfig     *tls.Config
	Resolver      *net.Resolver
	DialFunc      func(ctx context.Context, network, addr string) (net.Conn, error)
	Mechanisms    []string
	Logger        *slog.Logger
	DebugWriter   io.Writer
	MaxStanzaSize int

	OnMessage  func(c *Client, m *Message)
	OnPresence func(c *Client, p *Presence)
	OnIQ       func(c *Client, iq *IQ) (*IQ, error)
}

// Client is a logged-in XMPP session.
type Client struct{}

func Dial(ctx context.Context, jid, password string, opts *Options) (*Client, error) { panic("todo") }
func NewClient(ctx context.Context, conn net.Conn, jid, password string, opts *Options) (*Client, error) {
	panic("todo")
}
func (c *Client) JID() JID                                        { panic("todo") }
func (c *Client) Send(ctx context.Context, s Stanza) error        { panic("todo") }
func (c *Client) SendIQ(ctx context.Context, iq *IQ) (*IQ, error) { panic("todo") }
func (c *Client) Close() error                                    { panic("todo") }
func (c *Client) Done() <-chan struct{}                           { panic("todo") }
func (c *Client) Err() error                                      { panic("todo") }
