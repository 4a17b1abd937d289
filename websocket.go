package xmpp

import (
	"context"
	"errors"
)

// dialWebSocket opens an RFC 7395 connection. (Placeholder: the WebSocket
// transport is being written.)
func dialWebSocket(ctx context.Context, j JID, o *Options) (framedConn, error) {
	return nil, errors.New("xmpp: WebSocket transport not implemented yet")
}
