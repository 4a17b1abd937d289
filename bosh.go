package xmpp

import (
	"context"
	"errors"
)

// dialBOSH opens an XEP-0206 session. (Placeholder: the BOSH transport is
// being written.)
func dialBOSH(ctx context.Context, j JID, o *Options) (framedConn, error) {
	return nil, errors.New("xmpp: BOSH transport not implemented yet")
}
