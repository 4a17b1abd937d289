package xmpp

// STUB: replaced by the JID implementation (owner: jid helper).

// JID is an XMPP address (RFC 7622): [localpart@]domainpart[/resourcepart].
// It is a comparable value; the zero value is the empty JID.
type JID struct{ s string }

func ParseJID(s string) (JID, error)                     { panic("todo") }
func MustParseJID(s string) JID                          { panic("todo") }
func NewJID(local, domain, resource string) (JID, error) { panic("todo") }
func (j JID) Local() string                              { panic("todo") }
func (j JID) Domain() string                             { panic("todo") }
func (j JID) Resource() string                           { panic("todo") }
func (j JID) Bare() JID                                  { panic("todo") }
func (j JID) String() string                             { return j.s }
func (j JID) IsZero() bool                               { return j.s == "" }
func (j JID) Equal(o JID) bool                           { return j == o }
