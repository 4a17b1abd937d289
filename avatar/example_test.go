package avatar_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/avatar"
)

func ExampleSetFromFile() {
	var c *xmpp.Client // logged in
	info, err := avatar.SetFromFile(context.Background(), c, "me.png", &avatar.Options{MaxWidth: 256, MaxHeight: 256})
	switch {
	case errors.Is(err, avatar.ErrUnsupportedType), errors.Is(err, avatar.ErrTooLarge):
		fmt.Println("pick another image:", err)
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println("avatar", info.ID, info.Width, "x", info.Height)
	}
}
