package xmpp

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
)

// Transport selects how a session reaches its server.
type Transport uint8

const (
	// TransportTCP is an XML stream over TCP (RFC 6120): STARTTLS, or TLS
	// from the start with Options.DirectTLS, to Options.Server or the
	// targets of the domain's SRV records. The zero value.
	TransportTCP Transport = iota
	// TransportWebSocket is XMPP over WebSocket (RFC 7395), one element per
	// WebSocket message, to Options.URL (wss://) or the endpoint the
	// domain's host-meta names (XEP-0156).
	TransportWebSocket
	// TransportBOSH is XMPP over BOSH (XEP-0206, XEP-0124): HTTP long
	// polling to Options.URL (https://) or the endpoint the domain's
	// host-meta names (XEP-0156).
	TransportBOSH
)

// String returns "tcp", "websocket" or "bosh".
func (t Transport) String() string {
	switch t {
	case TransportTCP:
		return "tcp"
	case TransportWebSocket:
		return "websocket"
	case TransportBOSH:
		return "bosh"
	}
	return fmt.Sprintf("Transport(%d)", uint8(t))
}

// framedConn is a connection whose transport frames the XML itself
// (WebSocket, BOSH), adapted to the byte stream the negotiator and the
// link read and write:
//
//   - Reads yield a byte stream as TCP would carry it: the transport's
//     stream-open element (<open/>, the session creation response) comes
//     out as a <stream:stream> header in jabber:client, each element after
//     it as it arrived, and the transport's close as </stream:stream>.
//   - Each Write is one whole top-level element from the Encoder (or the
//     stream header, the stream end, or a single space for a whitespace
//     keepalive), which the connection turns into the transport's own
//     framing. Stanzas carry xmlns='jabber:client' themselves, as both
//     transports require (the negotiator sets the Encoder's nsEach).
//
// A framedConn has no STARTTLS: TLS, if any, is the transport's own (wss://,
// https://), which secure reports.
type framedConn interface {
	net.Conn
	// tlsState is the state of the transport's TLS connection, nil when it
	// runs over plaintext (ws://, http://, allowed only with
	// Options.InsecureAllowPlaintext).
	tlsState() *tls.ConnectionState
}

// dialFramed opens a WebSocket or BOSH connection to the server of j's
// domain, as o.Transport says, at o.URL or the endpoint the domain's
// host-meta names.
func dialFramed(ctx context.Context, j JID, o *Options) (framedConn, error) {
	switch o.Transport {
	case TransportWebSocket:
		return dialWebSocket(ctx, j, o)
	case TransportBOSH:
		return dialBOSH(ctx, j, o)
	}
	return nil, fmt.Errorf("%w: unknown Options.Transport %d", ErrBadAddress, uint8(o.Transport))
}
