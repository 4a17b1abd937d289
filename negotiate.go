package xmpp

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"
)

// negotiated is the outcome of a successful stream negotiation.
type negotiated struct {
	jid    JID
	domain JID
	conn   net.Conn // *tls.Conn unless plaintext was allowed
	raw    net.Conn // the connection under conn
	dec    *Decoder
	enc    *Encoder
	// features is the last <stream:features/>, the one after SASL.
	features Element
	sm       *smEnabled // nil unless stream management was enabled
	resumedH uint32     // the server's h in <resumed/>, when resuming
	// early are the stanzas the server sent after resource binding, while
	// the negotiation went on (legacy session, enabling stream management),
	// for the handlers; an IQ get or set among them is answered there.
	early []Stanza
}

// negotiator holds the state of one stream negotiation (RFC 6120 §4–§7).
// It is used by one goroutine only.
type negotiator struct {
	o        *Options
	jid      JID
	domain   JID
	password string
	log      *slog.Logger
	tlsCfg   *tls.Config
	tee      *debugTee // nil without Options.DebugWriter

	raw      net.Conn             // the connection given to NewClient
	conn     net.Conn             // raw, or the *tls.Conn over it
	tlsState *tls.ConnectionState // nil before TLS
	dec      *Decoder
	enc      *Encoder
	features Element // the last <stream:features/> read

	// bound is set once a resource is bound: from then on the server may
	// route stanzas to the client, and the ones read during the rest of
	// the negotiation are kept in early (within earlyBytes), not skipped.
	bound      bool
	early      []Stanza
	earlyBytes int
}

// keep records a stanza read during negotiation after resource binding, for
// the handlers. Beyond Options.HandlerQueueBytes the negotiation fails
// rather than drop it.
func (n *negotiator) keep(v any, err error) error {
	if !n.bound {
		return nil
	}
	var s Stanza
	if bad, ok := errors.AsType[*BadStanzaError](err); ok {
		h := bad.Header
		if bad.Name != "iq" || (bad.Type != IQGet.String() && bad.Type != IQSet.String()) || h.ID == "" {
			return nil
		}
		s = &badRequest{Header: h, condition: bad.Condition}
	} else {
		switch v := v.(type) {
		case *Message, *Presence:
			s = v.(Stanza)
		case *IQ:
			if v.Type != IQGet && v.Type != IQSet {
				return nil // a reply to nothing the session sent
			}
			s = v
		default:
			return nil
		}
	}
	n.earlyBytes += stanzaSize(s)
	if n.earlyBytes > n.o.HandlerQueueBytes {
		return fmt.Errorf("%w: more than %d bytes of stanzas during negotiation", ErrProtocol, n.o.HandlerQueueBytes)
	}
	n.early = append(n.early, s)
	return nil
}

// streamFeatures is <stream:features/> (RFC 6120 §4.3.2), the parts the
// session uses.
type streamFeatures struct {
	StartTLS *struct {
		Required *struct{} `xml:"required"`
	} `xml:"urn:ietf:params:xml:ns:xmpp-tls starttls"`
	Mechanisms *struct {
		Names []string `xml:"mechanism"`
	} `xml:"urn:ietf:params:xml:ns:xmpp-sasl mechanisms"`
	ChannelBinding *struct {
		Types []struct {
			Type string `xml:"type,attr"`
		} `xml:"channel-binding"`
	} `xml:"urn:xmpp:sasl-cb:0 sasl-channel-binding"` // XEP-0440
	Bind    *struct{} `xml:"urn:ietf:params:xml:ns:xmpp-bind bind"`
	Session *struct {
		Optional *struct{} `xml:"optional"`
	} `xml:"urn:ietf:params:xml:ns:xmpp-session session"`
	SM *struct{} `xml:"urn:xmpp:sm:3 sm"` // XEP-0198
}

// negotiate runs the whole negotiation over conn.
func negotiate(ctx context.Context, conn net.Conn, j JID, password string, o *Options, res *resumeReq) (_ *negotiated, err error) {
	// A JID without a localpart has no username: it can log in only with
	// ANONYMOUS (RFC 4505), which the user must allow explicitly.
	if j.Local() == "" && !slices.Contains(o.Mechanisms, mechAnonymous) {
		return nil, fmt.Errorf("%w: %q has no localpart to log in with (only ANONYMOUS, which Options.Mechanisms does not list, logs in without one)", ErrInvalidJID, j.String())
	}
	domain, err := ParseJID(j.Domain())
	if err != nil {
		return nil, err
	}
	cfg := o.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = j.Domain()
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	n := &negotiator{
		o: o, jid: j, domain: domain, password: password,
		log: o.Logger, tlsCfg: cfg, raw: conn, conn: conn,
	}
	if o.DebugWriter != nil {
		n.tee = &debugTee{w: o.DebugWriter}
	}

	// Turn ctx into a deadline on the connection for the whole negotiation.
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		conn.SetDeadline(time.Now())
		close(fired)
	})
	defer func() {
		if !stop() {
			<-fired
			if err == nil {
				err = fmt.Errorf("xmpp: negotiation: %w", context.Cause(ctx))
			}
		}
		if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%w)", context.Cause(ctx), err)
		}
	}()

	fc, framed := conn.(framedConn)
	if framed {
		// The transport's own TLS (wss://, https://), or none.
		n.tlsState = fc.tlsState()
	} else if o.DirectTLS {
		cfg := n.tlsCfg.Clone()
		if len(cfg.NextProtos) == 0 {
			cfg.NextProtos = []string{"xmpp-client"} // XEP-0368 §3
		}
		if err := n.handshake(ctx, cfg); err != nil {
			return nil, err
		}
	}
	n.newStream()
	f, err := n.openStream()
	if err != nil {
		return nil, err
	}
	if n.tlsState == nil {
		if f.StartTLS != nil && !framed {
			if err := n.startTLS(ctx); err != nil {
				return nil, err
			}
			n.newStream()
			if f, err = n.openStream(); err != nil {
				return nil, err
			}
		} else if !o.InsecureAllowPlaintext {
			return nil, ErrTLSRequired
		} else {
			n.log.Warn("xmpp: continuing without TLS (InsecureAllowPlaintext)")
		}
	}
	if f.Mechanisms == nil {
		return nil, fmt.Errorf("%w: no SASL mechanisms offered", ErrProtocol)
	}
	if err := n.authenticate(f); err != nil {
		return nil, err
	}
	n.dec.Reset() // RFC 6120 §6.4.6: new stream, keeping bytes already read
	if f, err = n.openStream(); err != nil {
		return nil, err
	}
	if res != nil {
		if f.SM == nil {
			return nil, fmt.Errorf("%w: the server no longer offers stream management", ErrResumeFailed)
		}
		h, err := n.resume(res)
		if err != nil {
			return nil, err
		}
		info := res.sm.info
		return &negotiated{jid: res.jid, domain: domain, conn: n.conn, raw: n.raw, dec: n.dec, enc: n.enc, features: n.features, sm: &info, resumedH: h}, nil
	}
	if f.Bind == nil {
		return nil, fmt.Errorf("%w: no resource binding offered after SASL", ErrProtocol)
	}
	resource := o.Resource
	if resource == "" {
		resource = j.Resource()
	}
	full, err := n.bind(resource)
	if err != nil {
		return nil, err
	}
	n.bound = true
	if f.Session != nil && f.Session.Optional == nil {
		if err := n.session(); err != nil {
			return nil, err
		}
	}
	var sm *smEnabled
	if o.StreamManagement && f.SM != nil {
		// XEP-0198 §3: after resource binding.
		if sm, err = n.enableSM(); err != nil {
			return nil, err
		}
	}
	return &negotiated{jid: full, domain: domain, conn: n.conn, raw: n.raw, dec: n.dec, enc: n.enc, features: n.features, sm: sm, early: n.early}, nil
}

// handshake runs a TLS client handshake over the raw connection.
func (n *negotiator) handshake(ctx context.Context, cfg *tls.Config) error {
	tc := tls.Client(n.raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("xmpp: TLS handshake: %w", err)
	}
	st := tc.ConnectionState()
	n.conn, n.tlsState = tc, &st
	n.log.Debug("xmpp: TLS established", "version", tls.VersionName(st.Version), "alpn", st.NegotiatedProtocol)
	return nil
}

// newStream makes a new Decoder and Encoder over the current connection.
func (n *negotiator) newStream() {
	var rw io.ReadWriter = n.conn
	if n.tee != nil {
		rw = &teeConn{rw: n.conn, tee: n.tee}
	}
	n.dec = NewDecoder(rw)
	n.dec.SetLimits(Limits{MaxStanzaSize: n.o.MaxStanzaSize})
	n.enc = NewEncoder(rw)
	_, n.enc.nsEach = n.conn.(framedConn)
}

// openStream writes a stream header and reads the server's header and
// features (RFC 6120 §4.2–§4.3).
func (n *negotiator) openStream() (*streamFeatures, error) {
	err := n.enc.WriteHeader(StreamHeader{
		To:        n.domain,
		Version:   "1.0",
		Lang:      "en",
		Namespace: NSClient,
	})
	if err != nil {
		return nil, fmt.Errorf("xmpp: writing stream header: %w", err)
	}
	h, err := n.dec.Header()
	if err != nil {
		return nil, fmt.Errorf("xmpp: reading stream header: %w", err)
	}
	if !strings.HasPrefix(h.Version, "1.") {
		return nil, &StreamError{Condition: CondUnsupportedVersion, Offset: -1,
			Err: fmt.Errorf("server stream version %q, want 1.x", h.Version)}
	}
	if h.Namespace != "" && h.Namespace != NSClient {
		return nil, &StreamError{Condition: CondInvalidNamespace, Offset: -1,
			Err: fmt.Errorf("server stream namespace %q, want %s", h.Namespace, NSClient)}
	}
	el, err := n.nextElement("stream features")
	if err != nil {
		return nil, err
	}
	if el.Name.Space != NSStream || el.Name.Local != "features" {
		return nil, unexpected(el, "<stream:features/>")
	}
	var f streamFeatures
	if err := xml.Unmarshal([]byte(el.Raw), &f); err != nil {
		return nil, fmt.Errorf("%w: stream features: %w", ErrProtocol, err)
	}
	n.features = *el
	return &f, nil
}

// nextElement reads the next top-level element during negotiation, which
// must be a non-stanza element.
func (n *negotiator) nextElement(what string) (*Element, error) {
	v, err := n.dec.Next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("server closed the stream: %w", io.ErrUnexpectedEOF)
		}
		return nil, fmt.Errorf("xmpp: reading %s: %w", what, err)
	}
	el, ok := v.(*Element)
	if !ok {
		return nil, fmt.Errorf("%w: got a %T while waiting for %s", ErrProtocol, v, what)
	}
	return el, nil
}

func unexpected(el *Element, want string) error {
	return fmt.Errorf("%w: got <%s xmlns='%s'/>, want %s", ErrProtocol, el.Name.Local, el.Name.Space, want)
}

// startTLS runs STARTTLS (RFC 6120 §5.4).
func (n *negotiator) startTLS(ctx context.Context) error {
	err := n.enc.EncodeElement(Element{
		Name: xml.Name{Space: nsTLS, Local: "starttls"},
		Raw:  "<starttls xmlns='" + nsTLS + "'/>",
	})
	if err != nil {
		return fmt.Errorf("xmpp: writing <starttls/>: %w", err)
	}
	el, err := n.nextElement("STARTTLS reply")
	if err != nil {
		return err
	}
	switch {
	case el.Name.Space == nsTLS && el.Name.Local == "proceed":
	case el.Name.Space == nsTLS && el.Name.Local == "failure":
		return fmt.Errorf("xmpp: server refused STARTTLS: %w", ErrTLSRequired)
	default:
		return unexpected(el, "<proceed/>")
	}
	// Anything after <proceed/> came before TLS and would be taken for
	// encrypted data by a careless client (STARTTLS command injection).
	if b := n.dec.Buffered(); b != 0 {
		return fmt.Errorf("%w: %d bytes received after <proceed/>", ErrProtocol, b)
	}
	return n.handshake(ctx, n.tlsCfg)
}

// authenticate runs the SASL exchange (RFC 6120 §6.4).
func (n *negotiator) authenticate(f *streamFeatures) error {
	offered := make([]string, 0, len(f.Mechanisms.Names))
	for _, m := range f.Mechanisms.Names {
		if m = strings.TrimSpace(m); m != "" {
			offered = append(offered, m)
		}
	}
	cr := saslCredentials{
		Username:       n.jid.Local(),
		Password:       n.password,
		TLS:            n.tlsState,
		HaveClientCert: n.tlsState != nil && (len(n.tlsCfg.Certificates) > 0 || n.tlsCfg.GetClientCertificate != nil),
		InsecurePlain:  n.o.InsecureAllowPlaintext,
	}
	if f.ChannelBinding != nil {
		cr.ChannelBindingTypes = []string{}
		for _, t := range f.ChannelBinding.Types {
			cr.ChannelBindingTypes = append(cr.ChannelBindingTypes, t.Type)
		}
	}
	allowed := n.o.Mechanisms
	if cr.Username == "" {
		// No username: nothing but ANONYMOUS can work (see negotiate).
		allowed = []string{mechAnonymous}
	}
	mech, err := selectSASL(offered, allowed, cr)
	if err != nil {
		return fmt.Errorf("xmpp: choosing a SASL mechanism from %v: %w", offered, err)
	}
	name := mech.Name()
	n.log.Debug("xmpp: authenticating", "mechanism", name)

	// SASL payloads never reach the debug tee; redacted lines replace them.
	n.tee.mute(true)
	defer n.tee.mute(false)

	initial, err := mech.Start()
	if err != nil {
		return saslClientError(name, err)
	}
	if err := n.writeSASL("auth", " mechanism='"+escapeAttr(name)+"'", initial, true); err != nil {
		return err
	}
	for {
		el, err := n.nextElement("SASL reply")
		if err != nil {
			return err
		}
		if el.Name.Space != nsSASL {
			return unexpected(el, "a SASL reply")
		}
		switch el.Name.Local {
		case "challenge":
			n.tee.line("RECV: ", redacted(el.Name.Local))
			data, err := saslData(el)
			if err != nil {
				n.abortSASL()
				return &SASLError{Mechanism: name, Condition: SASLIncorrectEncoding, Err: err}
			}
			resp, err := mech.Next(data)
			if err != nil {
				n.abortSASL()
				return saslClientError(name, err)
			}
			if err := n.writeSASL("response", "", resp, false); err != nil {
				return err
			}
		case "success":
			n.tee.line("RECV: ", redacted(el.Name.Local))
			data, err := saslData(el)
			if err != nil {
				return &SASLError{Mechanism: name, Condition: SASLIncorrectEncoding, Err: err}
			}
			if err := mech.Finish(data); err != nil {
				return saslClientError(name, err)
			}
			n.log.Debug("xmpp: authenticated", "mechanism", name)
			return nil
		case "failure":
			n.tee.line("RECV: ", el.Raw)
			return saslFailure(name, el)
		default:
			return unexpected(el, "a SASL reply")
		}
	}
}

// writeSASL writes a SASL element carrying base64 data. An initial response
// of zero length is written as "=" (RFC 6120 §6.4.2).
func (n *negotiator) writeSASL(local, attrs string, data []byte, initial bool) error {
	var payload string
	switch {
	case data == nil:
	case len(data) == 0 && initial:
		payload = "="
	default:
		payload = base64.StdEncoding.EncodeToString(data)
	}
	n.tee.line("SEND: ", "<"+local+" xmlns='"+nsSASL+"'"+attrs+">[redacted]</"+local+">")
	err := n.enc.EncodeElement(Element{
		Name: xml.Name{Space: nsSASL, Local: local},
		Raw:  "<" + local + " xmlns='" + nsSASL + "'" + attrs + ">" + payload + "</" + local + ">",
	})
	if err != nil {
		return fmt.Errorf("xmpp: writing <%s/>: %w", local, err)
	}
	return nil
}

// abortSASL tells the server the client gives up (RFC 6120 §6.4.4); errors
// are ignored, as the negotiation fails anyway.
func (n *negotiator) abortSASL() {
	n.tee.line("SEND: ", "<abort xmlns='"+nsSASL+"'/>")
	_ = n.enc.EncodeElement(Element{
		Name: xml.Name{Space: nsSASL, Local: "abort"},
		Raw:  "<abort xmlns='" + nsSASL + "'/>",
	})
}

func redacted(local string) string {
	return "<" + local + " xmlns='" + nsSASL + "'>[redacted]</" + local + ">"
}

// saslData decodes the base64 text of a SASL element; "=" means zero
// length data (RFC 6120 §6.3.10), no text means none.
func saslData(el *Element) ([]byte, error) {
	var v struct {
		Text string `xml:",chardata"`
	}
	if err := xml.Unmarshal([]byte(el.Raw), &v); err != nil {
		return nil, err
	}
	s := strings.TrimSpace(v.Text)
	switch s {
	case "":
		return nil, nil
	case "=":
		return []byte{}, nil
	}
	return base64.StdEncoding.DecodeString(s)
}

// saslFailure turns <failure/> into a *SASLError (RFC 6120 §6.5).
func saslFailure(mech string, el *Element) error {
	var v struct {
		Text  string `xml:"text"`
		Other []struct {
			XMLName xml.Name
		} `xml:",any"`
	}
	e := &SASLError{Mechanism: mech}
	if err := xml.Unmarshal([]byte(el.Raw), &v); err != nil {
		e.Err = err
		return e
	}
	for _, c := range v.Other {
		e.Condition = SASLCondition(c.XMLName.Local)
		break
	}
	e.Text = strings.TrimSpace(v.Text)
	return e
}

// saslClientError wraps an error from the mechanism as a *SASLError, unless
// it already is one.
func saslClientError(mech string, err error) error {
	if _, ok := errors.AsType[*SASLError](err); ok {
		return err
	}
	return &SASLError{Mechanism: mech, Condition: SASLAborted, Err: err}
}

// bind binds a resource (RFC 6120 §7); an empty resource asks the server to
// assign one. On <conflict/> it retries once with a server-assigned one.
func (n *negotiator) bind(resource string) (JID, error) {
	for attempt := 0; ; attempt++ {
		payload := "<bind xmlns='" + nsBind + "'/>"
		if resource != "" {
			payload = "<bind xmlns='" + nsBind + "'><resource>" + escapeText(resource) + "</resource></bind>"
		}
		reply, err := n.roundTrip(&IQ{
			Header: Header{ID: newID()}, Type: IQSet,
			Payload: Element{Name: xml.Name{Space: nsBind, Local: "bind"}, Raw: payload},
		}, "resource binding")
		if err != nil {
			var se *StanzaError
			if attempt == 0 && resource != "" && errors.As(err, &se) && se.Condition == ErrConflict {
				n.log.Info("xmpp: resource conflict; asking the server for one", "resource", resource)
				resource = ""
				continue
			}
			return JID{}, err
		}
		var v struct {
			JID string `xml:"jid"`
		}
		if reply.Payload.IsZero() || xml.Unmarshal([]byte(reply.Payload.Raw), &v) != nil {
			return JID{}, fmt.Errorf("%w: resource binding result has no <bind/>", ErrProtocol)
		}
		full, err := ParseJID(strings.TrimSpace(v.JID))
		if err != nil {
			return JID{}, fmt.Errorf("%w: bound JID: %w", ErrProtocol, err)
		}
		if full.Resource() == "" || full.Domain() != n.jid.Domain() {
			return JID{}, fmt.Errorf("%w: server bound %q", ErrProtocol, full.String())
		}
		return full, nil
	}
}

// session establishes the legacy session of RFC 3921 §3, for servers that
// still require it.
func (n *negotiator) session() error {
	_, err := n.roundTrip(&IQ{
		Header: Header{ID: newID(), To: n.domain}, Type: IQSet,
		Payload: Element{
			Name: xml.Name{Space: nsSession, Local: "session"},
			Raw:  "<session xmlns='" + nsSession + "'/>",
		},
	}, "session establishment")
	return err
}

// roundTrip writes an IQ and reads until its reply. Before a resource is
// bound nothing else can be routed to the client, so other stanzas are
// skipped.
func (n *negotiator) roundTrip(iq *IQ, what string) (*IQ, error) {
	if err := n.enc.Encode(iq); err != nil {
		return nil, fmt.Errorf("xmpp: writing %s request: %w", what, err)
	}
	for {
		v, err := n.dec.Next()
		if err != nil {
			if _, ok := errors.AsType[*BadStanzaError](err); ok {
				if err := n.keep(nil, err); err != nil {
					return nil, err
				}
				n.log.Debug("xmpp: bad stanza during negotiation", "err", err)
				continue
			}
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("server closed the stream: %w", io.ErrUnexpectedEOF)
			}
			return nil, fmt.Errorf("xmpp: %s: %w", what, err)
		}
		r, ok := v.(*IQ)
		if !ok || r.ID != iq.ID || (r.Type != IQResult && r.Type != IQError) {
			if err := n.keep(v, nil); err != nil {
				return nil, err
			}
			n.log.Debug("xmpp: stanza during negotiation", "type", fmt.Sprintf("%T", v))
			continue
		}
		if r.Type == IQError {
			if r.Error == nil {
				return nil, fmt.Errorf("xmpp: %s: %w", what, &StanzaError{Type: ErrorTypeCancel, Condition: ErrUndefinedCondition})
			}
			return nil, fmt.Errorf("xmpp: %s: %w", what, r.Error)
		}
		return r, nil
	}
}

// escapeText escapes s for XML character data.
func escapeText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// escapeAttr escapes s for an attribute value in single or double quotes.
func escapeAttr(s string) string {
	return strings.NewReplacer("'", "&apos;", `"`, "&quot;").Replace(escapeText(s))
}
