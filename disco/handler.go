package disco

import (
	"slices"
	"strings"
	"sync"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/forms"
)

// Handler answers disco#info and disco#items requests about the client; see
// [Register]. It is safe for concurrent use.
type Handler struct {
	mux        *xmpp.Mux
	identities []Identity // immutable

	mu       sync.RWMutex
	nodes    map[string]bool        // guarded by mu
	handlers map[string]NodeHandler // guarded by mu
	forms    []xmpp.Element         // guarded by mu; at most one per FORM_TYPE
}

// NodeHandler answers the disco#info and disco#items requests about one
// node of the client (XEP-0030 §3.2, §4.2) with what is particular to that
// node, such as the commands of XEP-0050; see [Handler.HandleNode]. Its
// methods get the session the request came on and the requester's address;
// an error they return is sent as the answer, a *xmpp.StanzaError as is
// (e.g. forbidden for a requester who may not see the node). They run on
// the session's handler goroutine and must not block for long.
type NodeHandler interface {
	// NodeInfo returns the identities, features and forms of node.
	NodeInfo(s xmpp.Session, from xmpp.JID, node string) (Info, error)
	// NodeItems returns the items of node.
	NodeItems(s xmpp.Session, from xmpp.JID, node string) ([]Item, error)
}

// defaultIdentity is the identity Register uses when given none: a client
// on a desktop or laptop computer.
var defaultIdentity = Identity{Category: "client", Type: "pc"}

// Register makes mux answer disco#info requests (XEP-0030 §3.1) for the
// client itself with identities (client/pc when none are given) and
// the features recorded by mux — those of every handler registered on mux,
// before or after Register, and disco#info and disco#items themselves — and
// disco#items requests (§4.1) with no items. A request for a node the client
// does not know is answered with item-not-found (§3.2, §4.2); see
// [Handler.AddNode].
func Register(mux *xmpp.Mux, identities ...Identity) *Handler {
	if len(identities) == 0 {
		identities = []Identity{defaultIdentity}
	}
	h := &Handler{mux: mux, identities: slices.Clone(identities), nodes: make(map[string]bool), handlers: make(map[string]NodeHandler)}
	mux.HandleIQ(xmpp.IQGet, NSInfo, "query", h.info)
	mux.HandleIQ(xmpp.IQGet, NSItems, "query", h.items)
	return h
}

// Info returns what the handler answers to a disco#info request: the
// identities given to Register, the features recorded by its Mux, sorted,
// and the extension forms of AddForm.
func (h *Handler) Info() Info {
	features := h.mux.Features()
	if i, found := slices.BinarySearch(features, NSInfo); !found {
		features = slices.Insert(features, i, NSInfo)
	}
	h.mu.RLock()
	forms := slices.Clone(h.forms)
	h.mu.RUnlock()
	return Info{Identities: slices.Clone(h.identities), Features: features, Forms: forms}
}

// AddForm adds f to what the handler answers to disco#info requests, as an
// extended information form (XEP-0128), replacing the form with the same
// FORM_TYPE if there is one. The form must be of type result and have a
// hidden FORM_TYPE field, as XEP-0128 requires; otherwise, or if f does not
// encode (see forms.Form.Element), AddForm returns an *xmpp.MalformedError
// and changes nothing. Entity capabilities (package caps) hash the forms in, so
// call AddForm before caps.Advertise.
func (h *Handler) AddForm(f *forms.Form) error {
	typ := f.FormType()
	if f.Type != forms.TypeResult || typ == "" {
		return &xmpp.MalformedError{Spec: "XEP-0128", Reason: "an extension form needs type result and a hidden FORM_TYPE field"}
	}
	el, err := f.Element()
	if err != nil {
		return &xmpp.MalformedError{Spec: "XEP-0128", Reason: "form " + typ, Err: err}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, old := range h.forms {
		if p, err := forms.Parse(old); err == nil && p.FormType() == typ {
			h.forms[i] = el
			return nil
		}
	}
	h.forms = append(h.forms, el)
	return nil
}

// AddNode makes the handler answer disco#info requests for node with the
// client's own Info, as entity capabilities (XEP-0115 §6.2) ask of the
// node#ver the client advertises, and disco#items requests for node with no
// items.
func (h *Handler) AddNode(node string) {
	h.mu.Lock()
	h.nodes[node] = true
	h.mu.Unlock()
}

// HandleNode makes nh answer the disco#info and disco#items requests for
// node, replacing the answers of AddNode or of an earlier HandleNode for the
// same node; a nil nh removes the node, which is then answered with
// item-not-found. The empty node is the client itself and cannot be
// handed over: HandleNode ignores it.
func (h *Handler) HandleNode(node string, nh NodeHandler) {
	if node == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.nodes, node)
	if nh == nil {
		delete(h.handlers, node)
		return
	}
	h.handlers[node] = nh
}

func (h *Handler) nodeHandler(node string) NodeHandler {
	if node == "" {
		return nil
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.handlers[node]
}

func (h *Handler) knows(node string) bool {
	if node == "" {
		return true
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.nodes[node]
}

func (h *Handler) info(s xmpp.Session, iq *xmpp.IQ) (*xmpp.IQ, error) {
	node := iq.Payload.Attr("node")
	if nh := h.nodeHandler(node); nh != nil {
		info, err := nh.NodeInfo(s, iq.From, node)
		if err != nil {
			return nil, err
		}
		el, err := info.Element(node)
		if err != nil {
			return nil, err
		}
		return &xmpp.IQ{Payload: el}, nil
	}
	if !h.knows(node) {
		return nil, itemNotFound()
	}
	el, err := h.Info().Element(node)
	if err != nil {
		return nil, err
	}
	return &xmpp.IQ{Payload: el}, nil
}

func (h *Handler) items(s xmpp.Session, iq *xmpp.IQ) (*xmpp.IQ, error) {
	node := iq.Payload.Attr("node")
	var items []Item
	if nh := h.nodeHandler(node); nh != nil {
		var err error
		if items, err = nh.NodeItems(s, iq.From, node); err != nil {
			return nil, err
		}
	} else if !h.knows(node) {
		return nil, itemNotFound()
	}
	el, err := ItemsElement(node, items)
	if err != nil {
		return nil, err
	}
	return &xmpp.IQ{Payload: el}, nil
}

// ItemsElement returns items as the <query/> of a disco#items result for
// node ("" for none), in the order given (XEP-0030 §4.1). It fails only
// for an item whose JID is zero.
func ItemsElement(node string, items []Item) (xmpp.Element, error) {
	var b strings.Builder
	b.WriteString("<query xmlns='" + NSItems + "'")
	writeAttr(&b, "node", node)
	if len(items) == 0 {
		b.WriteString("/>")
		return xmpp.ParseElement(b.String())
	}
	b.WriteByte('>')
	for _, it := range items {
		if it.JID.IsZero() {
			return xmpp.Element{}, &xmpp.MalformedError{Spec: "XEP-0030", Reason: "item without a jid"}
		}
		b.WriteString("<item")
		writeAttr(&b, "jid", it.JID.String())
		writeAttr(&b, "node", it.Node)
		writeAttr(&b, "name", it.Name)
		b.WriteString("/>")
	}
	b.WriteString("</query>")
	return xmpp.ParseElement(b.String())
}

func itemNotFound() error {
	return &xmpp.StanzaError{Type: xmpp.ErrorTypeCancel, Condition: xmpp.ErrItemNotFound}
}

// Element returns info as the <query/> of a disco#info result for node ("" for
// none): identities, then features, then forms, each in the order of info.
// It fails only if a form is not a well-formed element.
func (info Info) Element(node string) (xmpp.Element, error) {
	var b strings.Builder
	b.WriteString("<query xmlns='" + NSInfo + "'")
	writeAttr(&b, "node", node)
	b.WriteByte('>')
	for _, id := range info.Identities {
		b.WriteString("<identity")
		writeAttr(&b, "category", id.Category)
		writeAttr(&b, "type", id.Type)
		writeAttr(&b, "name", id.Name)
		writeAttr(&b, "xml:lang", id.Lang)
		b.WriteString("/>")
	}
	for _, f := range info.Features {
		b.WriteString("<feature")
		writeAttr(&b, "var", f)
		b.WriteString("/>")
	}
	for _, f := range info.Forms {
		b.WriteString(f.Raw)
	}
	b.WriteString("</query>")
	return xmpp.ParseElement(b.String())
}
