package main

import (
	"fmt"
	"strconv"

	"github.com/gojabber/xmpp/adhoc"
	"github.com/gojabber/xmpp/forms"
)

// echo is a single-stage command: a form, then a note with the text.
func echo(r *adhoc.Request) (*adhoc.Stage, error) {
	if r.Stage == 0 && r.Form == nil {
		return &adhoc.Stage{
			Form: &forms.Form{Type: forms.TypeForm, Title: "Echo", Fields: []forms.Field{
				{Var: "text", Type: forms.FieldTextSingle, Label: "Text", Required: true},
			}},
			Actions: []adhoc.Action{adhoc.ActionComplete},
		}, nil
	}
	if r.Form == nil {
		return nil, adhoc.ErrBadPayload.StanzaError("the form is missing")
	}
	text := r.Form.Value("text")
	if text == "" {
		return nil, adhoc.ErrBadPayload.StanzaError("the text is required")
	}
	return &adhoc.Stage{Done: true, Notes: []adhoc.Note{{Type: adhoc.NoteInfo, Text: text}}}, nil
}

// unit is a unit of a quantity: value in the base unit = value*scale + offset.
type unit struct {
	name          string
	scale, offset float64
}

var quantities = map[string][]unit{
	"temperature": {{"C", 1, 0}, {"F", 5.0 / 9, -32 * 5.0 / 9}, {"K", 1, -273.15}},
	"length":      {{"m", 1, 0}, {"km", 1000, 0}, {"ft", 0.3048, 0}, {"mi", 1609.344, 0}},
}

// convert is a two-stage command: the quantity, then the value and unit.
func convert(r *adhoc.Request) (*adhoc.Stage, error) {
	if r.Stage > 0 && r.Form == nil {
		return nil, adhoc.ErrBadPayload.StanzaError("the form is missing")
	}
	switch r.Stage {
	case 0:
		return &adhoc.Stage{
			Form: &forms.Form{Type: forms.TypeForm, Title: "Convert units",
				Instructions: []string{"Which quantity?"},
				Fields: []forms.Field{{Var: "quantity", Type: forms.FieldListSingle, Label: "Quantity", Required: true,
					Values:  []string{"temperature"},
					Options: []forms.Option{{Label: "Temperature", Value: "temperature"}, {Label: "Length", Value: "length"}}}},
			},
			Actions: []adhoc.Action{adhoc.ActionNext},
		}, nil
	case 1:
		q := r.Form.Value("quantity")
		units, ok := quantities[q]
		if !ok {
			return nil, adhoc.ErrBadPayload.StanzaError("unknown quantity " + strconv.Quote(q))
		}
		var opts []forms.Option
		for _, u := range units {
			opts = append(opts, forms.Option{Value: u.name})
		}
		return &adhoc.Stage{
			Form: &forms.Form{Type: forms.TypeForm, Title: "Convert " + q, Fields: []forms.Field{
				{Var: "value", Type: forms.FieldTextSingle, Label: "Value", Required: true,
					Validate: &forms.Validation{Datatype: forms.DatatypeDecimal}},
				{Var: "unit", Type: forms.FieldListSingle, Label: "Unit", Required: true,
					Values: []string{units[0].name}, Options: opts},
			}},
			Actions: []adhoc.Action{adhoc.ActionPrev, adhoc.ActionComplete},
			Default: adhoc.ActionComplete,
		}, nil
	}
	q := r.Previous[0].Value("quantity")
	v, err := strconv.ParseFloat(r.Form.Value("value"), 64)
	if err != nil {
		return nil, adhoc.ErrBadPayload.StanzaError("the value is not a number")
	}
	var from *unit
	for i, u := range quantities[q] {
		if u.name == r.Form.Value("unit") {
			from = &quantities[q][i]
		}
	}
	if from == nil {
		return &adhoc.Stage{Done: true, Notes: []adhoc.Note{{Type: adhoc.NoteError, Text: "unknown unit"}}}, nil
	}
	base := v*from.scale + from.offset
	res := &forms.Form{Type: forms.TypeResult, Title: "Converted " + q,
		Reported: []forms.Field{{Var: "unit", Label: "Unit"}, {Var: "value", Label: "Value"}}}
	for _, u := range quantities[q] {
		res.Items = append(res.Items, []forms.Field{
			{Var: "unit", Values: []string{u.name}},
			{Var: "value", Values: []string{strconv.FormatFloat((base-u.offset)/u.scale, 'f', 2, 64)}},
		})
	}
	return &adhoc.Stage{Done: true, Form: res,
		Notes: []adhoc.Note{{Type: adhoc.NoteInfo, Text: fmt.Sprintf("%s %s converted", r.Form.Value("value"), from.name)}}}, nil
}
