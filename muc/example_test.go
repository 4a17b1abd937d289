package muc_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/forms"
	"github.com/gojabber/xmpp/muc"
)

// A bot that joins a room, answers "!ping", and keeps its room through
// reconnections.
func Example() {
	ctx := context.Background()
	mux := xmpp.NewMux()
	rooms := muc.New(mux, &muc.Options{
		OnEvent: func(s xmpp.Session, e muc.Event) {
			if e.Type == muc.EventMessage && !e.Own && !e.Delayed && e.Message.Body == "!ping" {
				e.Room.Send(context.Background(), "pong")
			}
		},
	})
	c, err := xmpp.Dial(ctx, "bot@example.com", "secret", &xmpp.Options{
		Handler:          mux,
		StreamManagement: true,
		Reconnect:        &xmpp.ReconnectOptions{},
		OnStatus:         rooms.OnStatus, // rejoins after a new stream
	})
	if err != nil {
		log.Fatal(err)
	}
	room, err := rooms.Join(ctx, c, xmpp.MustParseJID("lounge@conference.example.com"), "bot", nil)
	switch {
	case errors.Is(err, muc.ErrNickConflict):
		log.Fatal("someone is using the nickname")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println("joined as", room.Nick(), "with", len(room.Occupants()), "occupants")
}

// Creating a members-only room: join creates it, then the configuration
// form is filled in and submitted.
func ExampleRoom_Configure() {
	ctx := context.Background()
	var rooms *muc.Manager // from muc.New
	var c *xmpp.Client     // from xmpp.Dial
	room, err := rooms.Join(ctx, c, xmpp.MustParseJID("team@conference.example.com"), "owner", nil)
	if err != nil {
		log.Fatal(err)
	}
	if !room.Created() {
		log.Fatal("the room exists already")
	}
	err = room.Configure(ctx, func(f *forms.Form) error {
		return errors.Join(
			f.SetBool("muc#roomconfig_membersonly", true),
			f.Set("muc#roomconfig_roomname", "The team"),
		)
	})
	if err != nil {
		log.Fatal(err)
	}
	err = room.SetAffiliation(ctx, xmpp.MustParseJID("colleague@example.com"), muc.AffiliationMember, "")
	if err != nil {
		log.Fatal(err)
	}
}
