package faultproxy_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"time"

	"github.com/gojabber/xmpp/xmpptest/faultproxy"
)

// echoServer starts a TCP echo server on loopback, standing in for an XMPP
// server, and returns its address and a function that stops it.
func echoServer() (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()
	return ln.Addr().String(), func() { ln.Close() }
}

// echo writes msg and reads the echo.
func echo(c net.Conn, msg string) (string, error) {
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	buf := make([]byte, len(msg))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.ReadFull(c, buf)
	return string(buf[:n]), err
}

func Example() {
	target, stop := echoServer()
	defer stop()

	p, err := faultproxy.Start(target)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	got, err := echo(c, "hello")
	fmt.Println(got, err)

	p.Reset()
	_, err = echo(c, "again")
	fmt.Println("after Reset:", err != nil)

	// A new connection goes through.
	c2, err := net.Dial("tcp", p.Addr())
	if err != nil {
		log.Fatal(err)
	}
	defer c2.Close()
	got, err = echo(c2, "hello again")
	fmt.Println(got, err)
	fmt.Println("conns:", p.Conns(), "cuts:", p.Cuts())
	// Output:
	// hello <nil>
	// after Reset: true
	// hello again <nil>
	// conns: 2 cuts: 1
}

func ExampleProxy_Blackhole() {
	target, stop := echoServer()
	defer stop()
	p, err := faultproxy.Start(target)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	echo(c, "hello")

	p.Blackhole(0)
	// The write succeeds, but no echo comes back: only a timeout tells.
	c.Write([]byte("anyone?"))
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err = c.Read(make([]byte, 16))
	fmt.Println("timeout:", err.(net.Error).Timeout())
	// Output: timeout: true
}

func ExampleProxy_CutMidStanza() {
	target, stop := echoServer()
	defer stop()
	p, err := faultproxy.Start(target)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	// A round trip first: a cut is armed on the connections open now, and
	// this one opens fully only once the proxy has reached the target.
	if _, err := echo(c, "<hello/>"); err != nil {
		log.Fatal(err)
	}

	p.CutMidStanza(faultproxy.ToClient)
	// Small chunks pass.
	got, err := echo(c, "<r/>")
	fmt.Println(got, err)
	// The next chunk of at least CutMinSize bytes is cut in half.
	stanza := "<message to='bob@example.com'><body>" + strings.Repeat("x", 64) + "</body></message>"
	got, err = echo(c, stanza)
	prefix := len(got) > 0 && len(got) < len(stanza) && strings.HasPrefix(stanza, got)
	fmt.Println("a strict prefix:", prefix, "then an error:", err != nil)
	fmt.Println("cuts:", p.Cuts())
	// Output:
	// <r/> <nil>
	// a strict prefix: true then an error: true
	// cuts: 1
}
