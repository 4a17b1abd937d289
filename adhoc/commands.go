package adhoc

import (
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/forms"
)

// Command is a command a bot offers (§2.2).
type Command struct {
	// Node identifies the command; required, unique among the bot's
	// commands, and not NS itself.
	Node string
	// Name is the command's human-readable name, listed with its node.
	Name string
	// Handler runs the command's stages. Required.
	Handler HandlerFunc
	// Allow, if not nil, says who may see and run the command; others
	// do not find it in the list, and get forbidden when they ask about
	// its node or execute it (§2.2, §4.4). Nil allows everyone.
	Allow func(from xmpp.JID) bool
}

// HandlerFunc runs one stage of a command: it gets the request of a
// requester and returns the stage to show next, or the command's last
// stage (Done set). It runs on the session's handler goroutine (see
// xmpp.Handler), so it may block and make IQ calls of its own.
//
// A returned error is the answer: a Condition as its stanza error
// (ErrBadPayload for a submitted form it cannot accept, say), a
// *xmpp.StanzaError or xmpp.StanzaCondition as is, anything else as
// internal-server-error. After an error the session stays at the stage it
// was, so the requester may submit it again.
type HandlerFunc func(r *Request) (*Stage, error)

// Request is what a HandlerFunc gets: who asks, and what they submitted.
type Request struct {
	// Session is the bot's session the request came on.
	Session xmpp.Session
	// From is the requester's full JID.
	From xmpp.JID
	// Node is the command's node.
	Node string
	// SessionID is the execution session's id (§3.3), new when Stage is 0.
	SessionID string
	// Lang is the requested language: the xml:lang of the <command/>, or
	// of the IQ, "" if none (§3.7).
	Lang string
	// Stage counts the stages the requester has answered: 0 when the
	// command is executed, 1 when the form of the first stage comes back,
	// and so on. After a "prev", the stage that comes back again has the
	// same number as before.
	Stage int
	// Action is what the requester asks: ActionExecute when the command
	// starts (Stage 0), then ActionNext or ActionComplete ("execute" is
	// replaced by the stage's default action, §3.4).
	Action Action
	// Form is the data form submitted with this request, nil if none. A
	// cancel form is read as a submit form (§3.5.1).
	Form *forms.Form
	// Payloads are the request's other child elements.
	Payloads []xmpp.Element
	// Previous are the forms submitted at the earlier stages, oldest
	// first (nil where a stage was answered without a form): Previous[i]
	// answered stage i+1. Its length is Stage-1 (0 at Stage 0).
	Previous []*forms.Form
}

// Stage is a stage of a command, as a HandlerFunc returns it: the form to
// fill in and the actions allowed, or (Done) the command's result.
type Stage struct {
	// Form is the stage's data form: of type form for the requester to
	// fill in, or of type result for a result (a table, §2.4.1). Nil for
	// none.
	Form *forms.Form
	// Notes are shown with the stage (§4.3). A command that completes but
	// fails has at least one NoteError (§3.6).
	Notes []Note
	// Payloads are other child elements for the <command/>, after the
	// form (§3.5).
	Payloads []xmpp.Element
	// Actions are the actions allowed at this stage besides cancel:
	// ActionPrev, ActionNext and ActionComplete (§4.2). Nil or empty
	// means ActionComplete alone. ActionPrev is accepted only where
	// listed, and never at the first stage.
	Actions []Action
	// Default is the action "execute" stands for (§4.2); "" means the
	// first of Actions in the order next, complete, prev.
	Default Action
	// Done ends the command: the response has status completed, and the
	// session ends. Actions and Default are then ignored.
	Done bool
}

// Options are the limits of the sessions that Commands keep. The zero
// value of a field means its default; a nil *Options means all defaults.
type Options struct {
	// MaxSessions bounds the sessions open at once; a request that would
	// start one more is answered with resource-constraint. Default 256.
	MaxSessions int
	// MaxSessionsPerRequester bounds the sessions open at once for one
	// requester (full JID). Default 8.
	MaxSessionsPerRequester int
	// Timeout is how long a session may wait for the requester's next
	// request; after it the session expires (ErrSessionExpired). Default
	// 10 minutes.
	Timeout time.Duration
}

// Default limits of Options.
const (
	DefaultMaxSessions             = 256
	DefaultMaxSessionsPerRequester = 8
	DefaultTimeout                 = 10 * time.Minute
)

// Errors of Commands.Add.
var (
	// ErrInvalidCommand is returned by Commands.Add for a command without
	// node or handler, or with the node NS.
	ErrInvalidCommand = errors.New("adhoc: invalid command")
)

// Commands answers the command requests of others to the bot (§2.4) and,
// through a disco.Handler, the requests for its command list and command
// nodes (§2.2). It keeps the execution sessions. It is safe for
// concurrent use; commands may be added while sessions run.
type Commands struct {
	disco *disco.Handler // may be nil
	opts  Options
	now   func() time.Time

	mu       sync.Mutex
	commands map[string]Command  // by node; guarded by mu
	order    []string            // nodes in the order added; guarded by mu
	sessions map[string]*session // by session id; guarded by mu
	ended    map[string]bool     // ids of ended sessions; guarded by mu
	endedQ   []string            // ended in order, at most MaxSessions; guarded by mu
}

// session is one execution of a command. Lock order: session.mu before
// Commands.mu; session.mu is never taken while holding Commands.mu.
type session struct {
	mu        sync.Mutex // held while a request of the session runs
	id        string
	node      string
	requester xmpp.JID
	deadline  time.Time     // guarded by Commands.mu
	ended     bool          // guarded by mu
	stages    []*Stage      // stages shown, the current last; guarded by mu
	submitted []*forms.Form // the forms that answered stages[:len-1]; guarded by mu
}

// Register makes mux answer command requests (IQ sets of <command/>,
// §2.4) with the commands added to the returned Commands, and adds NS to
// mux's features (§2.1). With d not nil, it also makes d answer the
// commands node (§2.2: disco#items lists the commands the requester may
// run, disco#info has the identity automation/command-list) and each
// command's node (disco#info with the identity automation/command-node and
// the features NS and jabber:x:data). opts (nil for the defaults) limits
// the sessions.
func Register(mux *xmpp.Mux, d *disco.Handler, opts *Options) *Commands {
	c := &Commands{
		disco:    d,
		now:      time.Now,
		commands: make(map[string]Command),
		sessions: make(map[string]*session),
		ended:    make(map[string]bool),
	}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.MaxSessions <= 0 {
		c.opts.MaxSessions = DefaultMaxSessions
	}
	if c.opts.MaxSessionsPerRequester <= 0 {
		c.opts.MaxSessionsPerRequester = DefaultMaxSessionsPerRequester
	}
	if c.opts.Timeout <= 0 {
		c.opts.Timeout = DefaultTimeout
	}
	mux.HandleIQ(xmpp.IQSet, NS, "command", c.handle)
	mux.AddFeature(NS)
	if d != nil {
		d.HandleNode(NS, c)
	}
	return c
}

// Add offers cmd, replacing the command with the same node. It returns an
// error wrapping ErrInvalidCommand for a command without node or handler,
// or with the node NS.
func (c *Commands) Add(cmd Command) error {
	if cmd.Node == "" || cmd.Node == NS || cmd.Handler == nil {
		return ErrInvalidCommand
	}
	c.mu.Lock()
	if _, ok := c.commands[cmd.Node]; !ok {
		c.order = append(c.order, cmd.Node)
	}
	c.commands[cmd.Node] = cmd
	c.mu.Unlock()
	if c.disco != nil {
		c.disco.HandleNode(cmd.Node, c)
	}
	return nil
}

// Remove stops offering the command node; its open sessions end.
func (c *Commands) Remove(node string) {
	c.mu.Lock()
	if _, ok := c.commands[node]; !ok {
		c.mu.Unlock()
		return
	}
	delete(c.commands, node)
	c.order = slices.DeleteFunc(c.order, func(n string) bool { return n == node })
	for id, s := range c.sessions {
		if s.node == node {
			c.endLocked(id)
		}
	}
	c.mu.Unlock()
	if c.disco != nil {
		c.disco.HandleNode(node, nil)
	}
}

// Sessions returns the number of open sessions.
func (c *Commands) Sessions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sessions)
}

func allowed(cmd Command, from xmpp.JID) bool { return cmd.Allow == nil || cmd.Allow(from) }

func forbidden() error {
	return &xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrForbidden}
}

// NodeInfo answers disco#info about the commands node and the command
// nodes; it implements disco.NodeHandler.
func (c *Commands) NodeInfo(_ xmpp.Session, from xmpp.JID, node string) (disco.Info, error) {
	if node == NS {
		return disco.Info{
			Identities: []disco.Identity{{Category: "automation", Type: "command-list"}},
			Features:   []string{NS},
		}, nil
	}
	c.mu.Lock()
	cmd, ok := c.commands[node]
	c.mu.Unlock()
	switch {
	case !ok:
		return disco.Info{}, &xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrItemNotFound}
	case !allowed(cmd, from):
		return disco.Info{}, forbidden()
	}
	return disco.Info{
		Identities: []disco.Identity{{Category: "automation", Type: "command-node", Name: cmd.Name}},
		Features:   []string{NS, forms.NS},
	}, nil
}

// NodeItems lists the commands from may run on the commands node, as
// items of the session's own JID (§2.2); a command node has no items. It
// implements disco.NodeHandler.
func (c *Commands) NodeItems(s xmpp.Session, from xmpp.JID, node string) ([]disco.Item, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if node != NS {
		cmd, ok := c.commands[node]
		if !ok {
			return nil, &xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrItemNotFound}
		}
		if !allowed(cmd, from) {
			return nil, forbidden()
		}
		return nil, nil
	}
	var items []disco.Item
	for _, n := range c.order {
		cmd := c.commands[n]
		if allowed(cmd, from) {
			items = append(items, disco.Item{JID: s.JID(), Node: cmd.Node, Name: cmd.Name})
		}
	}
	return items, nil
}

// handle answers a <command/> request.
func (c *Commands) handle(s xmpp.Session, iq *xmpp.IQ) (*xmpp.IQ, error) {
	// The action first: an unknown one is malformed-action, whatever else
	// is wrong (§4.4).
	if a := Action(iq.Payload.Attr("action")); a != "" && !a.valid() {
		return nil, ErrMalformedAction.StanzaError("unknown action " + string(a))
	}
	p, err := Parse(iq.Payload)
	if err != nil {
		return nil, ErrBadPayload.StanzaError(err.Error())
	}
	if p.Form != nil && p.Form.Type == forms.TypeCancel {
		p.Form.Type = forms.TypeSubmit // §3.5.1
	}
	lang := p.Lang
	if lang == "" {
		lang = iq.Lang
	}
	c.mu.Lock()
	cmd, ok := c.commands[p.Node]
	c.mu.Unlock()
	switch {
	case !ok:
		return nil, &xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrItemNotFound}
	case !allowed(cmd, iq.From):
		return nil, forbidden()
	}
	var out *Payload
	if p.SessionID == "" {
		out, err = c.start(s, iq.From, lang, cmd, p)
	} else {
		out, err = c.resume(s, iq.From, lang, cmd, p)
	}
	if err != nil {
		return nil, answerError(err)
	}
	el, err := out.Element()
	if err != nil {
		return nil, err
	}
	return &xmpp.IQ{Payload: el}, nil
}

// answerError turns a handler's Condition into its stanza error.
func answerError(err error) error {
	var se *xmpp.StanzaError
	if errors.As(err, &se) {
		return err
	}
	var c Condition
	if errors.As(err, &c) {
		return c.StanzaError("")
	}
	return err
}

// start runs the first stage of cmd for a request without session id.
func (c *Commands) start(s xmpp.Session, from xmpp.JID, lang string, cmd Command, p *Payload) (*Payload, error) {
	if p.Action != "" && p.Action != ActionExecute {
		// Only "execute" starts a session; the others need one (§3.3).
		return nil, ErrBadSessionID.StanzaError("action " + string(p.Action) + " without a session")
	}
	id := rand.Text()
	st, err := cmd.Handler(&Request{
		Session: s, From: from, Node: cmd.Node, SessionID: id, Lang: lang,
		Action: ActionExecute, Form: p.Form, Payloads: p.Payloads,
	})
	if err != nil {
		return nil, err
	}
	st = normalize(st)
	if !st.Done {
		c.mu.Lock()
		err := c.openLocked(&session{id: id, node: cmd.Node, requester: from, stages: []*Stage{st}})
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	return response(cmd.Node, id, lang, st, 1), nil
}

// openLocked records a new session, within the limits.
func (c *Commands) openLocked(sess *session) error {
	now := c.now()
	mine := 0
	for id, o := range c.sessions {
		if now.After(o.deadline) {
			c.endLocked(id)
			continue
		}
		if o.requester == sess.requester {
			mine++
		}
	}
	if len(c.sessions) >= c.opts.MaxSessions || mine >= c.opts.MaxSessionsPerRequester {
		return &xmpp.StanzaError{Type: xmpp.ErrorTypeWait, Condition: xmpp.ErrResourceConstraint, Text: "too many command sessions"}
	}
	sess.deadline = now.Add(c.opts.Timeout)
	c.sessions[sess.id] = sess
	return nil
}

// endLocked ends the session id, remembering its id for session-expired.
func (c *Commands) endLocked(id string) {
	delete(c.sessions, id)
	if c.ended[id] {
		return
	}
	c.ended[id] = true
	c.endedQ = append(c.endedQ, id)
	if len(c.endedQ) > c.opts.MaxSessions {
		delete(c.ended, c.endedQ[0])
		c.endedQ = slices.Delete(c.endedQ, 0, 1)
	}
}

// resume runs a request of an open session.
func (c *Commands) resume(s xmpp.Session, from xmpp.JID, lang string, cmd Command, p *Payload) (*Payload, error) {
	c.mu.Lock()
	sess, ok := c.sessions[p.SessionID]
	switch {
	case !ok && c.ended[p.SessionID]:
		c.mu.Unlock()
		return nil, ErrSessionExpired.StanzaError("")
	case !ok || sess.requester != from || sess.node != p.Node:
		c.mu.Unlock()
		return nil, ErrBadSessionID.StanzaError("")
	case c.now().After(sess.deadline):
		c.endLocked(sess.id)
		c.mu.Unlock()
		return nil, ErrSessionExpired.StanzaError("")
	}
	c.mu.Unlock()

	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.ended {
		return nil, ErrSessionExpired.StanzaError("")
	}
	cur := sess.stages[len(sess.stages)-1]
	action := p.Action
	if action == "" || action == ActionExecute {
		action = cur.Default
	}
	switch {
	case action == ActionCancel:
		c.finish(sess)
		return &Payload{Node: sess.node, SessionID: sess.id, Status: StatusCanceled, Lang: lang}, nil
	case !slices.Contains(cur.Actions, action):
		return nil, ErrBadAction.StanzaError("action " + string(action) + " is not allowed at this stage")
	case action == ActionPrev:
		if len(sess.stages) < 2 {
			return nil, ErrBadAction.StanzaError("no previous stage")
		}
		n := len(sess.stages) - 1
		back := sess.stages[n-1]
		remembered := sess.submitted[n-1]
		sess.stages = sess.stages[:n]
		sess.submitted = sess.submitted[:n-1]
		c.touch(sess)
		shown := *back
		shown.Form = remember(back.Form, remembered)
		return response(sess.node, sess.id, lang, &shown, len(sess.stages)), nil
	}
	st, err := cmd.Handler(&Request{
		Session: s, From: from, Node: sess.node, SessionID: sess.id, Lang: lang,
		Stage: len(sess.stages), Action: action, Form: p.Form, Payloads: p.Payloads,
		Previous: slices.Clone(sess.submitted),
	})
	if err != nil {
		c.touch(sess)
		return nil, err
	}
	st = normalize(st)
	if st.Done {
		c.finish(sess)
	} else {
		sess.stages = append(sess.stages, st)
		sess.submitted = append(sess.submitted, p.Form)
		c.touch(sess)
	}
	return response(sess.node, sess.id, lang, st, len(sess.stages)), nil
}

// finish ends sess; sess.mu is held.
func (c *Commands) finish(sess *session) {
	sess.ended = true
	c.mu.Lock()
	c.endLocked(sess.id)
	c.mu.Unlock()
}

// touch renews the deadline of sess.
func (c *Commands) touch(sess *session) {
	c.mu.Lock()
	sess.deadline = c.now().Add(c.opts.Timeout)
	c.mu.Unlock()
}

// normalize fills in a stage's defaults: at least complete allowed, and a
// default action.
func normalize(st *Stage) *Stage {
	if st == nil {
		return &Stage{Done: true}
	}
	out := *st
	if out.Done {
		return &out
	}
	out.Actions = slices.DeleteFunc(slices.Clone(out.Actions), func(a Action) bool { return !a.allowable() })
	if len(out.Actions) == 0 {
		out.Actions = []Action{ActionComplete}
	}
	if out.Default == "" || !slices.Contains(out.Actions, out.Default) {
		for _, a := range []Action{ActionNext, ActionComplete, ActionPrev} {
			if slices.Contains(out.Actions, a) {
				out.Default = a
				break
			}
		}
	}
	return &out
}

// response is the <command/> that shows st as stage number n (1 for the
// first) of a session.
func response(node, id, lang string, st *Stage, n int) *Payload {
	p := &Payload{Node: node, SessionID: id, Lang: lang, Form: st.Form, Notes: st.Notes, Payloads: st.Payloads}
	if st.Done {
		p.Status = StatusCompleted
		return p
	}
	p.Status = StatusExecuting
	p.Actions = st.Actions
	if n <= 1 {
		p.Actions = slices.DeleteFunc(slices.Clone(p.Actions), func(a Action) bool { return a == ActionPrev })
		if len(p.Actions) == 0 {
			p.Actions = []Action{ActionComplete}
		}
	}
	p.Default = st.Default
	if !slices.Contains(p.Actions, p.Default) {
		p.Default = p.Actions[0]
	}
	return p
}

// remember returns a copy of the form f with the values of the submitted
// form sub filled in, where they fit (§2.4.2 allows "remembered" values).
func remember(f, sub *forms.Form) *forms.Form {
	if f == nil || sub == nil {
		return f
	}
	cp := *f
	cp.Fields = slices.Clone(f.Fields)
	for i := range cp.Fields {
		cp.Fields[i].Values = slices.Clone(cp.Fields[i].Values)
	}
	for _, fl := range sub.Fields {
		if fl.Var != "" && fl.Var != forms.FormTypeVar {
			_ = cp.Set(fl.Var, fl.Values...) // a value that does not fit is left out
		}
	}
	return &cp
}
