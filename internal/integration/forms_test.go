package integration_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp"
	"github.com/gojabber/xmpp/caps"
	"github.com/gojabber/xmpp/disco"
	"github.com/gojabber/xmpp/forms"
)

// serverInfo is the XEP-0157 form of contact addresses, as a struct.
type serverInfo struct {
	Abuse []string `form:"abuse-addresses"`
	Admin []string `form:"admin-addresses"`
}

func (serverInfo) FormType() string { return "http://jabber.org/network/serverinfo" }

// TestFormsServerInfo reads the XEP-0157 contact addresses the xmpptest
// configs give both servers (Prosody's contact_info, ejabberd's mod_disco
// server_info) from the server's disco#info: an XEP-0128 extension form,
// parsed with package forms.
func TestFormsServerInfo(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			alice := featureLogin(t, srv, "alice", xmpp.Options{})
			info, err := disco.GetInfo(testCtx(t), alice, xmpp.MustParseJID(srv.Domain), "")
			require.NoError(t, err)
			for _, el := range info.Forms {
				t.Logf("form: %s", el.Raw)
			}
			f, ok := info.Form(serverInfo{}.FormType())
			require.True(t, ok, "no serverinfo form among %d forms", len(info.Forms))
			require.Equal(t, forms.TypeResult, f.Type)
			require.NoError(t, f.Validate(), "the server's form is valid")

			var got serverInfo
			require.NoError(t, forms.Unmarshal(f, &got))
			admin := "xmpp:" + srv.Env["XMPP_ADMIN"]
			require.ElementsMatch(t, []string{"mailto:abuse@" + srv.Domain, admin}, got.Abuse, "abuse-addresses")
			require.Equal(t, []string{admin}, got.Admin, "admin-addresses")

			// The form re-encodes to one that parses the same, and the
			// server's information verifies against its own caps hash.
			el, err := f.Element()
			require.NoError(t, err)
			again, err := forms.Parse(el)
			require.NoError(t, err)
			require.Equal(t, f, again)
			require.True(t, caps.Verify(info, caps.Ver(info), caps.HashSHA1), "info %+v is ill-formed per XEP-0115 §5.4", info)
		})
	}
}

// TestFormsClientExtension has carol add an extension form to her own
// disco#info (XEP-0128) and alice read it back through the server, with
// the caps ver carol advertises covering the form.
func TestFormsClientExtension(t *testing.T) {
	t.Parallel()
	for _, s := range defaultServers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.shared.Server(t)
			mux := xmpp.NewMux()
			h := disco.Register(mux, disco.Identity{Category: "client", Type: "bot", Name: "forms test"})
			type softwareInfo struct {
				FormType string   `form:"FORM_TYPE"`
				Software string   `form:"software"`
				Version  string   `form:"software_version"`
				OS       string   `form:"os"`
				IP       []string `form:"ip_version,type=text-multi"`
			}
			want, err := forms.Marshal(softwareInfo{
				FormType: "urn:xmpp:dataforms:softwareinfo",
				Software: "gojabber", Version: "0.0.1-test", OS: "plan9", IP: []string{"ipv4", "ipv6"},
			}, forms.TypeResult)
			require.NoError(t, err)
			require.NoError(t, h.AddForm(want))
			ver := caps.Advertise(mux, h, bobNode).Attr("ver")
			carol := featureLogin(t, srv, "carol", xmpp.Options{Handler: mux})
			alice := featureLogin(t, srv, "alice", xmpp.Options{})

			info, err := disco.GetInfo(testCtx(t), alice, carol.JID(), "")
			require.NoError(t, err)
			got, ok := info.Form("urn:xmpp:dataforms:softwareinfo")
			require.True(t, ok, "forms %v", info.Forms)
			require.Equal(t, want, got)
			require.Equal(t, ver, caps.Ver(info), "caps ver computed by alice")
			require.True(t, caps.Verify(info, ver, caps.HashSHA1))
		})
	}
}
