package adhoc

import (
	"context"
	"slices"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/forms"
)

// List asks to for the commands it offers: the items of its disco node
// http://jabber.org/protocol/commands (§2.2), each with the command's node
// and name. Items whose JID is not to's entity (another bare JID, or
// another domain) are dropped, as §5 asks of requesters. Errors are those
// of disco.GetItems: a *xmpp.StanzaError (item-not-found or
// service-unavailable from an entity without commands) or an
// *xmpp.MalformedError.
func List(ctx context.Context, s xmpp.Session, to xmpp.JID) ([]disco.Item, error) {
	items, err := disco.GetItems(ctx, s, to, NS)
	if err != nil {
		return nil, err
	}
	want := to.Bare()
	if to.IsZero() {
		want = s.JID().Bare()
	}
	return slices.DeleteFunc(items, func(it disco.Item) bool { return it.JID.Bare() != want }), nil
}

// Response is a responder's answer to a command request: the stage of
// the command it has reached (§2.4). Its methods send the next request of
// the same session, to the same entity, over the same session.
type Response struct {
	Payload
	// From is the responder.
	From xmpp.JID

	s xmpp.Session
}

// Execute starts the command node of to (§2.4.1): a request with action
// execute and no session id. The Response's Status says whether the
// command completed at once or awaits more stages (StatusExecuting), and
// its Form is the stage's form, if any. See [Send] for the errors.
func Execute(ctx context.Context, s xmpp.Session, to xmpp.JID, node string) (*Response, error) {
	return Send(ctx, s, to, &Payload{Node: node, Action: ActionExecute})
}

// Send sends the command request p to to and returns the response. An
// error reply is a *xmpp.StanzaError, wrapped in an *Error when it carries a
// specific condition of §4.4 (found with errors.Is(err, ErrBadSessionID) and
// the like); an answer that is not a <command/>, or a malformed one, is an
// *xmpp.MalformedError. A response without node or session id gets those of
// the request.
func Send(ctx context.Context, s xmpp.Session, to xmpp.JID, p *Payload) (*Response, error) {
	el, err := p.Element()
	if err != nil {
		return nil, err
	}
	r, err := s.SendIQ(ctx, &xmpp.IQ{Header: xmpp.Header{To: to}, Type: xmpp.IQSet, Payload: el})
	if err != nil {
		return nil, wrapError(err)
	}
	if r.Payload.IsZero() {
		return nil, malformed("", "result without <command xmlns='%s'/>", NS)
	}
	got, err := Parse(r.Payload)
	if err != nil {
		return nil, err
	}
	if got.SessionID == "" {
		got.SessionID = p.SessionID
	}
	resp := &Response{Payload: *got, From: to, s: s}
	return resp, nil
}

// Do sends the next request of r's session: action a, with the form f if
// it is not nil. A form of type form (such as r.Form, filled in with
// forms.Form.Set) is sent as its Submit (§3.5.1); other forms as they are.
// Do does not check that r allows a: the responder answers a refused action
// with ErrBadAction. See [Send] for the errors.
func (r *Response) Do(ctx context.Context, a Action, f *forms.Form) (*Response, error) {
	if f != nil && f.Type == forms.TypeForm {
		f = f.Submit()
	}
	return Send(ctx, r.s, r.From, &Payload{Node: r.Node, SessionID: r.SessionID, Action: a, Form: f})
}

// Next submits f (nil for none) and goes on to the next stage (§2.4.2).
func (r *Response) Next(ctx context.Context, f *forms.Form) (*Response, error) {
	return r.Do(ctx, ActionNext, f)
}

// Complete submits f (nil for none) and asks to complete the command.
func (r *Response) Complete(ctx context.Context, f *forms.Form) (*Response, error) {
	return r.Do(ctx, ActionComplete, f)
}

// Prev goes back to the previous stage (§2.4.2).
func (r *Response) Prev(ctx context.Context) (*Response, error) {
	return r.Do(ctx, ActionPrev, nil)
}

// Cancel cancels the session (§2.4.3); the responder answers with
// StatusCanceled.
func (r *Response) Cancel(ctx context.Context) (*Response, error) {
	return r.Do(ctx, ActionCancel, nil)
}

// Allowed reports whether r allows the action a, as §3.4 reads <actions/>:
// cancel always; without <actions/>, execute and complete; with it, execute
// and the actions it lists. A session that has ended allows nothing.
func (r *Response) Allowed(a Action) bool {
	if r.Status == StatusCompleted || r.Status == StatusCanceled {
		return false
	}
	switch {
	case a == ActionCancel:
		return true
	case r.Actions == nil:
		return a == ActionExecute || a == ActionComplete
	case a == ActionExecute:
		return true
	}
	return slices.Contains(r.Actions, a)
}
