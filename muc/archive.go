package muc

import (
	"context"
	"fmt"

	"github.com/gojabber/xmpp/mam"
	"github.com/gojabber/xmpp/rsm"
)

// FetchHistory fetches the room's last max messages from its archive
// (XEP-0313 with the room's JID as the archive, XEP-0045 §16 "Message
// Archive Management") through a, the mam.Archive registered on the
// session's Mux, oldest first, leaving out the messages already delivered
// as events (matched by the room's stanza-id, XEP-0359, which is the
// archive id on Prosody and ejabberd). The messages it returns count as
// delivered: a rejoin's history will not deliver them again.
func (r *Room) FetchHistory(ctx context.Context, a *mam.Archive, max int) ([]mam.Result, error) {
	page, err := a.Fetch(ctx, r.s, r.jid, mam.Query{RSM: rsm.Set{Max: max, LastPage: true}})
	if err != nil {
		return nil, fmt.Errorf("muc: history of %s: %w", r.jid, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var fresh []mam.Result
	for _, res := range page.Messages {
		key := "s:" + res.ID
		if res.Message != nil && r.seen.has(r.messageKey(res.Message)) || r.seen.has(key) {
			continue
		}
		r.seen.add(key)
		fresh = append(fresh, res)
	}
	return fresh, nil
}
