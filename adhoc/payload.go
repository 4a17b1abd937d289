package adhoc

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/forms"
)

// NS is the namespace of XEP-0050, the feature an entity offering commands
// advertises (§2.1), and the disco node under which it lists them (§2.2).
const NS = "http://jabber.org/protocol/commands"

// Action is the action attribute of a command request: what the requester
// asks the responder to do (§4.1), or one of the actions a responder
// allows (the children of <actions/>, §4.2).
type Action string

// Actions (§4.1).
const (
	ActionExecute  Action = "execute"  // execute, or continue with the stage's default action
	ActionCancel   Action = "cancel"   // cancel the session
	ActionPrev     Action = "prev"     // go back to the previous stage
	ActionNext     Action = "next"     // go on to the next stage
	ActionComplete Action = "complete" // complete the command
)

func (a Action) valid() bool {
	switch a {
	case ActionExecute, ActionCancel, ActionPrev, ActionNext, ActionComplete:
		return true
	}
	return false
}

// allowable reports whether a may appear in <actions/> (§4.2).
func (a Action) allowable() bool { return a == ActionPrev || a == ActionNext || a == ActionComplete }

// Status is the status attribute of a command response (§4.1).
type Status string

// Statuses (§4.1).
const (
	StatusExecuting Status = "executing" // more stages follow
	StatusCompleted Status = "completed" // the command completed; the session has ended
	StatusCanceled  Status = "canceled"  // the command was canceled; the session has ended
)

func (s Status) valid() bool {
	return s == StatusExecuting || s == StatusCompleted || s == StatusCanceled
}

// NoteType is the type attribute of a note: its severity (§4.3).
type NoteType string

// Note types (§4.3).
const (
	NoteInfo  NoteType = "info"  // information only
	NoteWarn  NoteType = "warn"  // a warning, e.g. about illogical yet valid data
	NoteError NoteType = "error" // an error; a command that completes but fails has one (§3.6)
)

// Note is a <note/> of a command response: human-readable text about the
// command's state (§4.3).
type Note struct {
	// Type is the note's severity; Parse reads a missing type as NoteInfo,
	// and Element writes "" as NoteInfo.
	Type NoteType
	// Text is the note's text.
	Text string
}

// Payload is the <command/> element of XEP-0050 (§4.1), of a request or a
// response: Parse reads one, Element writes one.
type Payload struct {
	// Node identifies the command. Required.
	Node string
	// SessionID identifies the execution session (§3.3); "" in the request
	// that starts one.
	SessionID string
	// Action is the requested action, in requests; "" means ActionExecute.
	Action Action
	// Status is the command's status, in responses.
	Status Status
	// Lang is the xml:lang of the element, "" if none (§3.7).
	Lang string
	// Actions are the actions allowed at this stage besides cancel
	// (ActionPrev, ActionNext, ActionComplete; §4.2). Nil means the
	// response has no <actions/> element, a non-nil empty slice an empty
	// one. Element writes them in the order of the schema: prev, next,
	// complete.
	Actions []Action
	// Default is the execute attribute of <actions/>: the action that
	// ActionExecute stands for at this stage, "" if none (§4.2).
	Default Action
	// Notes are the <note/> children, in order.
	Notes []Note
	// Form is the first jabber:x:data form of the command, nil if none
	// (§3.5.1).
	Form *forms.Form
	// Payloads are the other child elements (such as jabber:x:oob URLs, or
	// data forms after the first), in order (§3.5).
	Payloads []xmpp.Element
}

func malformed(raw, format string, args ...any) *xmpp.MalformedError {
	return &xmpp.MalformedError{Spec: "XEP-0050", Reason: fmt.Sprintf(format, args...), Raw: raw}
}

// Parse reads a <command/> element (§4). An element of another name, one
// without a node, an action, status, note type or <actions/> content that
// §4 does not define, or a data form that does not parse, is an
// *xmpp.MalformedError with Spec "XEP-0050" (wrapping the form's error).
// Unknown children of the commands namespace are skipped.
func Parse(el xmpp.Element) (*Payload, error) {
	if el.Name != (xml.Name{Space: NS, Local: "command"}) {
		if el.IsZero() {
			return nil, malformed("", "no <command xmlns='%s'/>", NS)
		}
		return nil, malformed(el.Raw, "element is {%s}%s, want {%s}command", el.Name.Space, el.Name.Local, NS)
	}
	p := &Payload{
		Node:      el.Attr("node"),
		SessionID: el.Attr("sessionid"),
		Action:    Action(el.Attr("action")),
		Status:    Status(el.Attr("status")),
		Lang:      el.Attr("xml:lang"),
	}
	if p.Node == "" {
		return nil, malformed(el.Raw, "command without a node")
	}
	if p.Action != "" && !p.Action.valid() {
		return nil, malformed(el.Raw, "unknown action %q", p.Action)
	}
	if p.Status != "" && !p.Status.valid() {
		return nil, malformed(el.Raw, "unknown status %q", p.Status)
	}
	for ch := range el.Children() {
		switch ch.Name {
		case xml.Name{Space: NS, Local: "actions"}:
			if p.Actions != nil {
				return nil, malformed(el.Raw, "more than one <actions/>")
			}
			p.Actions = []Action{}
			p.Default = Action(ch.Attr("execute"))
			if p.Default != "" && !p.Default.allowable() {
				return nil, malformed(el.Raw, "actions execute=%q", p.Default)
			}
			for a := range ch.Children() {
				act := Action(a.Name.Local)
				if a.Name.Space != NS || !act.allowable() {
					return nil, malformed(el.Raw, "unknown action {%s}%s", a.Name.Space, a.Name.Local)
				}
				if !slices.Contains(p.Actions, act) {
					p.Actions = append(p.Actions, act)
				}
			}
		case xml.Name{Space: NS, Local: "note"}:
			n := Note{Type: NoteType(ch.Attr("type")), Text: ch.Text()}
			switch n.Type {
			case "":
				n.Type = NoteInfo
			case NoteInfo, NoteWarn, NoteError:
			default:
				return nil, malformed(el.Raw, "unknown note type %q", n.Type)
			}
			p.Notes = append(p.Notes, n)
		case xml.Name{Space: forms.NS, Local: "x"}:
			if p.Form != nil {
				p.Payloads = append(p.Payloads, ch)
				continue
			}
			f, err := forms.Parse(ch)
			if err != nil {
				return nil, &xmpp.MalformedError{Spec: "XEP-0050", Reason: "the command's data form", Raw: el.Raw, Err: err}
			}
			p.Form = f
		default:
			if ch.Name.Space != NS {
				p.Payloads = append(p.Payloads, ch)
			}
		}
	}
	return p, nil
}

// Element returns p as a <command/> element: its attributes, <actions/>
// (when Actions is not nil or Default is set), the notes, the form, then
// the other payloads. It returns an *xmpp.MalformedError for a payload §4
// does not allow: no node, an unknown action, status or note type, an
// action in Actions or Default other than prev, next and complete, or a
// form that does not encode.
func (p *Payload) Element() (xmpp.Element, error) {
	if p.Node == "" {
		return xmpp.Element{}, malformed("", "command without a node")
	}
	if p.Action != "" && !p.Action.valid() {
		return xmpp.Element{}, malformed("", "unknown action %q", p.Action)
	}
	if p.Status != "" && !p.Status.valid() {
		return xmpp.Element{}, malformed("", "unknown status %q", p.Status)
	}
	if p.Default != "" && !p.Default.allowable() {
		return xmpp.Element{}, malformed("", "actions execute=%q", p.Default)
	}
	var b strings.Builder
	b.WriteString("<command xmlns='" + NS + "'")
	writeAttr(&b, "node", p.Node)
	writeAttr(&b, "sessionid", p.SessionID)
	writeAttr(&b, "action", string(p.Action))
	writeAttr(&b, "status", string(p.Status))
	writeAttr(&b, "xml:lang", p.Lang)
	b.WriteByte('>')
	if p.Actions != nil || p.Default != "" {
		for _, a := range p.Actions {
			if !a.allowable() {
				return xmpp.Element{}, malformed("", "action %q in <actions/>", a)
			}
		}
		b.WriteString("<actions")
		writeAttr(&b, "execute", string(p.Default))
		b.WriteByte('>')
		for _, a := range []Action{ActionPrev, ActionNext, ActionComplete} {
			if slices.Contains(p.Actions, a) {
				b.WriteString("<" + string(a) + "/>")
			}
		}
		b.WriteString("</actions>")
	}
	for _, n := range p.Notes {
		switch n.Type {
		case "", NoteInfo, NoteWarn, NoteError:
		default:
			return xmpp.Element{}, malformed("", "unknown note type %q", n.Type)
		}
		typ := n.Type
		if typ == "" {
			typ = NoteInfo
		}
		b.WriteString("<note")
		writeAttr(&b, "type", string(typ))
		b.WriteByte('>')
		xml.EscapeText(&b, []byte(n.Text)) // a strings.Builder never fails
		b.WriteString("</note>")
	}
	if p.Form != nil {
		el, err := p.Form.Element()
		if err != nil {
			return xmpp.Element{}, &xmpp.MalformedError{Spec: "XEP-0050", Reason: "the command's data form", Err: err}
		}
		b.WriteString(el.Raw)
	}
	for _, el := range p.Payloads {
		b.WriteString(el.Raw)
	}
	b.WriteString("</command>")
	return xmpp.ParseElement(b.String())
}

// writeAttr writes ` name='value'` when value is not "".
func writeAttr(b *strings.Builder, name, value string) {
	if value == "" {
		return
	}
	b.WriteString(" " + name + "='")
	xml.EscapeText(b, []byte(value)) // a strings.Builder never fails
	b.WriteByte('\'')
}
