// Package forms implements XEP-0004: Data Forms, version 2.13.1
// (https://xmpp.org/extensions/xep-0004.html), with the datatypes and
// validation methods of XEP-0122: Data Forms Validation, version 1.0.1
// (https://xmpp.org/extensions/xep-0122.html).
//
// A [Form] is the jabber:x:data <x/> element (XEP-0004 §3) as Go values:
// [Parse] reads one, [Form.Element] writes one. The other extensions that
// use data forms (ad-hoc commands, MUC room configuration, pubsub node
// configuration, XEP-0128 service discovery extensions) build on it.
//
// # Filling in a form
//
// An entity asks for data with a form of type "form". The answering entity
// sets the values of its fields with [Form.Set], which checks each value
// against the field's type (§3.3) and validation (XEP-0122), checks the
// whole form with [Form.Validate] and sends [Form.Submit], a form of type
// "submit" with the values alone (§3.2):
//
//	f, err := forms.Parse(el)
//	...
//	err = f.Set("muc#roomconfig_roomname", "Kitchen")
//	...
//	if err := f.Validate(); err != nil { ... }
//	el, err := f.Submit().Element()
//
// # Structs
//
// [Marshal] and [Unmarshal] map a form to a struct whose fields carry
// `form:"var"` tags, in the manner of encoding/json; see [Unmarshal] for
// the Go types a field may have.
//
// # Errors
//
// An element that breaks XEP-0004 (or XEP-0122) is an *[xmpp.MalformedError]
// with Spec "XEP-0004" (or "XEP-0122"), matching [xmpp.ErrMalformed]; [Form.Element] refuses such
// a form with the same error. A value that does not fit its field is a
// *[FieldError], which [Form.Set], [Form.Validate] (one per field, joined)
// and [Unmarshal] return.
package forms
