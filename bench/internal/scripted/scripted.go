// Package scripted is a minimal XMPP server for benchmarks on loopback: it
// accepts plaintext client streams, SASL PLAIN or ANONYMOUS without checking
// anything, resource binding and the legacy session IQ, answers every other
// IQ get/set with an empty result, and otherwise ignores what clients send.
//
// It exists for what a real server cannot do for a benchmark: push a
// prepared byte stream to a logged-in client at full speed (decode over each
// library's session path), and hold thousands of sessions without TLS (idle
// memory without TLS). It is not an XMPP server and offers no security.
package scripted

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
)

// Domain is the XMPP domain the server claims.
const Domain = "localhost"

// Conn is one logged-in client connection.
type Conn struct {
	net.Conn
	JID string // the full JID bound

	wmu sync.Mutex
}

// Write writes raw bytes to the client, serialized with the server's own
// replies.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.Conn.Write(p)
}

// Server is a running scripted server.
type Server struct {
	Addr string // "127.0.0.1:port"

	// Ready receives every connection right after its resource is bound,
	// if not nil. It must be set before clients connect.
	Ready chan *Conn

	// Drain makes the server stop parsing a connection's input once its
	// resource is bound: it reads and discards it without allocating,
	// counting "<iq" in ClientResults, so that a benchmark measuring the
	// client in the same process is not charged for the server's parsing.
	Drain bool

	ln      net.Listener
	n       atomic.Int64
	bound   atomic.Int64
	results atomic.Int64
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closed  bool
}

// Start listens on 127.0.0.1 and serves until Close.
func Start(ready chan *Conn) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), Ready: ready, ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Bound returns how many connections have bound a resource so far.
func (s *Server) Bound() int64 { return s.bound.Load() }

// ClientResults returns how many IQs of type result or error clients have
// sent (answers to the server's IQ requests, e.g. pings).
func (s *Server) ClientResults() int64 { return s.results.Load() }

// Close stops listening and closes every connection.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

type element struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   []byte     `xml:",innerxml"`
}

func (e *element) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (s *Server) serve(nc net.Conn) {
	c := &Conn{Conn: nc}
	br := bufio.NewReader(nc)
	d := xml.NewDecoder(br)
	d.Strict = false
	authed := false
	user := ""
	id := s.n.Add(1)
	for {
		tok, err := d.Token()
		if err != nil {
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "stream" {
				feats := "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism><mechanism>ANONYMOUS</mechanism></mechanisms>"
				if authed {
					feats = "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>"
				}
				fmt.Fprintf(c, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s%d' from='%s' version='1.0' xml:lang='en'><stream:features>%s</stream:features>", id, Domain, feats)
				continue
			}
			var e element
			if err := d.DecodeElement(&e, &t); err != nil {
				return
			}
			switch e.XMLName.Local {
			case "auth":
				user = fmt.Sprintf("anon%d", id)
				if e.attr("mechanism") == "PLAIN" {
					raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(e.Inner)))
					if parts := bytes.Split(raw, []byte{0}); len(parts) == 3 && len(parts[1]) > 0 {
						user = string(parts[1])
						if i := strings.IndexByte(user, '@'); i >= 0 {
							user = user[:i]
						}
					}
				}
				authed = true
				io.WriteString(c, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
				// The client restarts the stream: a fresh decoder over the
				// same buffered reader (xml.Decoder does not buffer a
				// ByteReader further).
				d = xml.NewDecoder(br)
				d.Strict = false
			case "iq":
				typ, iqid := e.attr("type"), e.attr("id")
				if typ != "get" && typ != "set" {
					s.results.Add(1)
					continue
				}
				inner := string(e.Inner)
				switch {
				case strings.Contains(inner, "urn:ietf:params:xml:ns:xmpp-bind"):
					res := fmt.Sprintf("r%d", id)
					var bind struct {
						Resource string `xml:"resource"`
					}
					if xml.Unmarshal(e.Inner, &bind) == nil && strings.TrimSpace(bind.Resource) != "" {
						res = strings.TrimSpace(bind.Resource)
					}
					c.JID = user + "@" + Domain + "/" + res
					fmt.Fprintf(c, "<iq type='result' id='%s'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>%s</jid></bind></iq>", esc(iqid), esc(c.JID))
					s.bound.Add(1)
					if s.Ready != nil {
						s.Ready <- c
					}
					if s.Drain {
						s.drain(br)
						return
					}
				default:
					fmt.Fprintf(c, "<iq type='result' id='%s'/>", esc(iqid))
				}
			}
		case xml.EndElement:
			if t.Name.Local == "stream" {
				io.WriteString(c, "</stream:stream>")
				return
			}
		}
	}
}

func (s *Server) drain(r io.Reader) {
	buf := make([]byte, 32<<10)
	carry := 0
	for {
		n, err := r.Read(buf[carry:])
		chunk := buf[:carry+n]
		s.results.Add(int64(bytes.Count(chunk, []byte("<iq"))))
		// Keep the last two bytes: "<iq" may straddle two reads.
		carry = copy(buf, chunk[max(0, len(chunk)-2):])
		if err != nil {
			return
		}
	}
}
