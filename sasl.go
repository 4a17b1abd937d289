package xmpp

import "crypto/tls"

// STUB: replaced by the SASL implementation (owner: sasl helper).

// SASLError is a failed SASL authentication (RFC 6120 §6.5).
type SASLError struct {
	Mechanism string
	Condition string
	Text      string
	Err       error
}

func (e *SASLError) Error() string { return "xmpp: sasl " + e.Mechanism + " failed: " + e.Condition }
func (e *SASLError) Unwrap() error { return e.Err }

type saslCredentials struct {
	Username            string
	Authzid             string
	Password            string
	TLS                 *tls.ConnectionState
	ChannelBindingTypes []string
	HaveClientCert      bool
	InsecurePlain       bool
}

type saslMechanism interface {
	Name() string
	Start() ([]byte, error)
	Next(challenge []byte) ([]byte, error)
	Finish(additional []byte) error
}

func selectSASL(offered, allowed []string, cr saslCredentials) (saslMechanism, error) { panic("todo") }
