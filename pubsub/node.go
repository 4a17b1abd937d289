package pubsub

import (
	"context"
	"slices"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/forms"
)

// form returns cfg as a submit form of type formType, or "" for an empty
// cfg. Fields are written in the order of their vars.
func (cfg Config) form(formType string) (string, error) {
	if len(cfg) == 0 {
		return "", nil
	}
	f := &forms.Form{Type: forms.TypeSubmit, Fields: []forms.Field{{Var: forms.FormTypeVar, Type: forms.FieldHidden, Values: []string{formType}}}}
	vars := make([]string, 0, len(cfg))
	for v := range cfg {
		vars = append(vars, v)
	}
	slices.Sort(vars)
	for _, v := range vars {
		f.Fields = append(f.Fields, forms.Field{Var: v, Values: []string{cfg[v]}})
	}
	el, err := f.Element()
	if err != nil {
		return "", err
	}
	return el.Raw, nil
}

// Create creates node on service (§8.1) with the configuration cfg (§8.1.3;
// nil for the service's defaults), and returns the node's name. An empty
// node asks for an instant node (§8.1.2), whose name the service picks. A
// zero service is the user's own account (PEP, XEP-0163). A node that exists
// is an *Error matching xmpp.ErrConflict.
func Create(ctx context.Context, s xmpp.Session, service xmpp.JID, node string, cfg Config) (string, error) {
	x, err := cfg.form(FormNodeConfig)
	if err != nil {
		return "", err
	}
	var w b
	w.raw("<create").attr("node", node).raw("/>")
	if x != "" {
		w.raw("<configure>" + x + "</configure>")
	}
	r, err := iq(ctx, s, service, xmpp.IQSet, NS, w.String())
	if err != nil {
		return "", err
	}
	if c, ok := child(r, NS, "create"); ok && c.Attr("node") != "" {
		return c.Attr("node"), nil
	}
	if node == "" {
		return "", malformed("instant node created without a name", r.Payload.Raw, nil)
	}
	return node, nil
}

// GetConfig returns the configuration form of node (§8.2.1), as its owner
// sees it.
func GetConfig(ctx context.Context, s xmpp.Session, service xmpp.JID, node string) (*forms.Form, error) {
	var w b
	w.raw("<configure").attr("node", node).raw("/>")
	r, err := iq(ctx, s, service, xmpp.IQGet, NSOwner, w.String())
	if err != nil {
		return nil, err
	}
	c, ok := child(r, NSOwner, "configure")
	if !ok {
		return nil, malformed("configuration result without <configure/>", r.Payload.Raw, nil)
	}
	x, ok := c.Child(forms.NS, "x")
	if !ok {
		return nil, malformed("configuration result without a form", r.Payload.Raw, nil)
	}
	return forms.Parse(x)
}

// Configure sets the configuration fields in cfg of node (§8.2.4); fields
// not in cfg keep their values.
func Configure(ctx context.Context, s xmpp.Session, service xmpp.JID, node string, cfg Config) error {
	x, err := cfg.form(FormNodeConfig)
	if err != nil {
		return err
	}
	var w b
	w.raw("<configure").attr("node", node).raw(">" + x + "</configure>")
	_, err = iq(ctx, s, service, xmpp.IQSet, NSOwner, w.String())
	return err
}

// Delete deletes node (§8.4); its subscribers are notified.
func Delete(ctx context.Context, s xmpp.Session, service xmpp.JID, node string) error {
	var w b
	w.raw("<delete").attr("node", node).raw("/>")
	_, err := iq(ctx, s, service, xmpp.IQSet, NSOwner, w.String())
	return err
}

// Purge removes every item of node (§8.5).
func Purge(ctx context.Context, s xmpp.Session, service xmpp.JID, node string) error {
	var w b
	w.raw("<purge").attr("node", node).raw("/>")
	_, err := iq(ctx, s, service, xmpp.IQSet, NSOwner, w.String())
	return err
}
