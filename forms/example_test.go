package forms_test

import (
	"fmt"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/forms"
)

func ExampleParse() {
	el, _ := xmpp.ParseElement(`<x xmlns='jabber:x:data' type='form'>
  <title>Bot Configuration</title>
  <field type='hidden' var='FORM_TYPE'><value>jabber:bot</value></field>
  <field type='text-single' label='The name of your bot' var='botname'/>
  <field type='list-single' label='Maximum number of subscribers' var='maxsubs'>
    <value>20</value>
    <option label='10'><value>10</value></option>
    <option label='20'><value>20</value></option>
  </field>
</x>`)
	f, err := forms.Parse(el)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Title, "-", f.FormType())
	for _, fl := range f.Fields[1:] {
		fmt.Printf("%s (%s): %q\n", fl.Label, fl.Type, fl.Values)
	}
	// Output:
	// Bot Configuration - jabber:bot
	// The name of your bot (text-single): []
	// Maximum number of subscribers (list-single): ["20"]
}

func ExampleForm_Submit() {
	el, _ := xmpp.ParseElement(`<x xmlns='jabber:x:data' type='form'>
  <field type='hidden' var='FORM_TYPE'><value>jabber:bot</value></field>
  <field type='text-single' label='The name of your bot' var='botname'><required/></field>
  <field type='boolean' label='Public bot?' var='public'/>
  <field type='list-single' var='maxsubs'>
    <option><value>10</value></option>
    <option><value>20</value></option>
  </field>
</x>`)
	f, _ := forms.Parse(el)
	fmt.Println(f.Validate())
	fmt.Println(f.Set("maxsubs", "30"))
	f.Set("botname", "The Jabber Google Bot")
	f.SetBool("public", true)
	f.Set("maxsubs", "20")
	if err := f.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	out, _ := f.Submit().Element()
	fmt.Println(out.Raw)
	// Output:
	// forms: field "botname": required: forms: required field has no value
	// forms: field "maxsubs": "30" is not one of the options
	// <x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>jabber:bot</value></field><field var='botname' type='text-single'><value>The Jabber Google Bot</value></field><field var='public' type='boolean'><value>1</value></field><field var='maxsubs' type='list-single'><value>20</value></field></x>
}

// roomConfig is some of the MUC room configuration of XEP-0045 §10.2.
type roomConfig struct {
	Name       string        `form:"muc#roomconfig_roomname,label=Natural-Language Room Name"`
	Persistent bool          `form:"muc#roomconfig_persistentroom,label=Make Room Persistent?"`
	MaxUsers   int           `form:"muc#roomconfig_maxusers,type=list-single"`
	Admins     []xmpp.JID    `form:"muc#roomconfig_roomadmins"`
	Expiry     time.Duration `form:"pubsub#item_expire,omitempty"`
}

// FormType makes Marshal add the FORM_TYPE field, and Unmarshal check it.
func (roomConfig) FormType() string { return "http://jabber.org/protocol/muc#roomconfig" }

func ExampleUnmarshal() {
	el, _ := xmpp.ParseElement(`<x xmlns='jabber:x:data' type='form'>
  <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roomconfig</value></field>
  <field var='muc#roomconfig_roomname' type='text-single'><value>A Dark Cave</value></field>
  <field var='muc#roomconfig_persistentroom' type='boolean'><value>1</value></field>
  <field var='muc#roomconfig_maxusers' type='list-single'><value>20</value>
    <option><value>10</value></option><option><value>20</value></option></field>
  <field var='muc#roomconfig_roomadmins' type='jid-multi'>
    <value>wiccarocks@shakespeare.lit</value><value>hecate@shakespeare.lit</value></field>
</x>`)
	f, _ := forms.Parse(el)
	var c roomConfig
	if err := forms.Unmarshal(f, &c); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q persistent=%v max=%d admins=%v\n", c.Name, c.Persistent, c.MaxUsers, c.Admins)
	// Output:
	// "A Dark Cave" persistent=true max=20 admins=[wiccarocks@shakespeare.lit hecate@shakespeare.lit]
}

func ExampleMarshal() {
	c := roomConfig{
		Name:     "Kitchen",
		MaxUsers: 10,
		Admins:   []xmpp.JID{xmpp.MustParseJID("crone1@shakespeare.lit")},
	}
	f, err := forms.Marshal(c, forms.TypeSubmit)
	if err != nil {
		fmt.Println(err)
		return
	}
	el, _ := f.Element()
	fmt.Println(el.Raw)
	// Output:
	// <x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_roomname' type='text-single'><value>Kitchen</value></field><field var='muc#roomconfig_persistentroom' type='boolean'><value>0</value></field><field var='muc#roomconfig_maxusers' type='list-single'><value>10</value></field><field var='muc#roomconfig_roomadmins' type='jid-multi'><value>crone1@shakespeare.lit</value></field></x>
}
