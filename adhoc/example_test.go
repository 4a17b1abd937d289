package adhoc_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/adhoc"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/forms"
)

// List shows the commands a server offers the user (the admin sees the
// XEP-0133 administration commands).
func ExampleList() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, "admin@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	cmds, err := adhoc.List(ctx, c, xmpp.MustParseJID("example.com"))
	if err != nil {
		log.Fatal(err)
	}
	for _, cmd := range cmds {
		fmt.Printf("%s: %s\n", cmd.Node, cmd.Name)
	}
}

// Execute runs a command in stages: each stage's form is filled in and
// submitted until the command completes.
func ExampleExecute() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, "admin@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	r, err := adhoc.Execute(ctx, c, xmpp.MustParseJID("example.com"), "http://jabber.org/protocol/admin#user-stats")
	if err != nil {
		log.Fatal(err)
	}
	for r.Status == adhoc.StatusExecuting {
		if err := r.Form.Set("accountjid", "alice@example.com"); err != nil {
			log.Fatal(err)
		}
		// "execute" is the stage's default action: next or complete.
		if r, err = r.Do(ctx, adhoc.ActionExecute, r.Form); err != nil {
			log.Fatal(err)
		}
	}
	for _, n := range r.Notes {
		fmt.Println(n.Type, n.Text)
	}
	if r.Form != nil {
		for _, f := range r.Form.Fields {
			fmt.Println(f.Var, f.Values)
		}
	}
}

// Register offers commands: here "greet", which asks for a name and then
// answers with a note. The commands are listed on the commands node of the
// bot's disco, and each handler gets the forms submitted so far.
func ExampleRegister() {
	mux := xmpp.NewMux()
	d := disco.Register(mux, disco.Identity{Category: "client", Type: "bot", Name: "greeter"})
	cmds := adhoc.Register(mux, d, &adhoc.Options{MaxSessions: 100})
	err := cmds.Add(adhoc.Command{
		Node: "greet",
		Name: "Greet me",
		Handler: func(r *adhoc.Request) (*adhoc.Stage, error) {
			if r.Stage == 0 {
				return &adhoc.Stage{
					Form: &forms.Form{Type: forms.TypeForm, Title: "Greeting", Fields: []forms.Field{
						{Var: "name", Label: "Your name", Required: true},
					}},
					Actions: []adhoc.Action{adhoc.ActionComplete},
				}, nil
			}
			if r.Form == nil || r.Form.Value("name") == "" {
				return nil, adhoc.ErrBadPayload.StanzaError("a name, please")
			}
			return &adhoc.Stage{Done: true, Notes: []adhoc.Note{
				{Type: adhoc.NoteInfo, Text: "Hello, " + r.Form.Value("name") + "!"},
			}}, nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := xmpp.Dial(context.Background(), "bot@example.com", "secret", &xmpp.Options{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-c.Done()
}

// Conditions of XEP-0050 come back as an *adhoc.Error, which matches both
// the specific condition and the defined one.
func ExampleError() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, "alice@example.com", "secret", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	r, err := adhoc.Execute(ctx, c, xmpp.MustParseJID("bot@example.com/box"), "poll")
	if err != nil {
		log.Fatal(err)
	}
	// ... a long pause, then:
	_, err = r.Next(ctx, r.Form)
	switch {
	case errors.Is(err, adhoc.ErrSessionExpired):
		fmt.Println("the session expired: start again")
	case errors.Is(err, xmpp.ErrBadRequest):
		fmt.Println("the bot refused:", err)
	case err != nil:
		log.Fatal(err)
	}
}
