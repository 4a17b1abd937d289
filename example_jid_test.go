package xmpp_test

import (
	"errors"
	"fmt"

	"github.com/gojabber/xmpp"
)

func ExampleParseJID() {
	j, err := xmpp.ParseJID("Juliet@Example.COM/Balcony")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(j)
	fmt.Println(j.Local(), j.Domain(), j.Resource())
	fmt.Println(j.Bare())

	// Every error matches ErrInvalidJID and is a *JIDError.
	_, err = xmpp.ParseJID("foo bar@example.com")
	var je *xmpp.JIDError
	fmt.Println(errors.Is(err, xmpp.ErrInvalidJID), errors.As(err, &je) && je.Part == "localpart")
	// Output:
	// juliet@example.com/Balcony
	// juliet example.com Balcony
	// juliet@example.com
	// true true
}

func ExampleNewJID() {
	j, err := xmpp.NewJID("Σ", "xn--bcher-kva.example.", "♚")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(j)
	fmt.Println(j == xmpp.MustParseJID("σ@bücher.example/♚"))
	// Output:
	// σ@bücher.example/♚
	// true
}

func ExampleJID_WithResource() {
	bare := xmpp.MustParseJID("romeo@example.net")
	full, err := bare.WithResource("orchard")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(full, full.Bare() == bare)
	// Output: romeo@example.net/orchard true
}
