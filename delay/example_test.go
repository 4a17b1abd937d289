package delay_test

import (
	"fmt"
	"time"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/delay"
)

// Read when an offline message was first sent.
func ExampleFrom() {
	mux := xmpp.NewMux()
	mux.HandleMessage(func(_ xmpp.Session, m *xmpp.Message) {
		if d, ok := delay.From(m); ok {
			fmt.Println("sent at", d.Stamp.Local().Format(time.Kitchen), "delayed by", d.From)
		}
	})
}

func ExampleFormatStamp() {
	fmt.Println(delay.FormatStamp(time.Date(2002, 9, 10, 16, 8, 25, 0, time.FixedZone("PDT", -7*3600))))
	// Output: 2002-09-10T23:08:25Z
}
