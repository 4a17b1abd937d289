package xmpptest

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// checkWeb checks the web and component endpoints of a server: both
// host-meta documents over verified HTTPS name the WebSocket and BOSH
// endpoints, the BOSH endpoint over HTTPS and plain HTTP creates a session,
// and the component port opens a jabber:component:accept stream.
func checkWeb(t *testing.T, srv *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: srv.TLSConfig()}}
	defer hc.CloseIdleConnections()
	get := func(method, url, body string) string {
		req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err, "%s %s", method, url)
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %s", method, url, b)
		return string(b)
	}
	for _, u := range []string{srv.HostMetaURL, srv.HostMetaURL + ".json"} {
		doc := get(http.MethodGet, u, "")
		require.Contains(t, doc, srv.WebSocketURL, "%s", u)
		require.Contains(t, doc, srv.BOSHURL, "%s", u)
	}
	require.True(t, strings.HasPrefix(srv.WebSocketURL, "wss://"), srv.WebSocketURL)
	require.True(t, strings.HasPrefix(srv.InsecureWebSocketURL, "ws://"), srv.InsecureWebSocketURL)
	create := "<body rid='1000' xmlns='http://jabber.org/protocol/httpbind' to='" + srv.Domain +
		"' xml:lang='en' wait='5' hold='1' ver='1.6' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh'/>"
	for _, u := range []string{srv.BOSHURL, srv.InsecureBOSHURL} {
		require.Contains(t, get(http.MethodPost, u, create), "sid=", "%s", u)
	}

	require.Len(t, srv.ComponentDomains, 3)
	require.NotEmpty(t, srv.ComponentSecret)
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.ComponentAddr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn, "<stream:stream xmlns='jabber:component:accept' "+
		"xmlns:stream='http://etherx.jabber.org/streams' to='"+srv.ComponentDomains[0]+"'>")
	require.NoError(t, err)
	r := bufio.NewReader(conn)
	head, err := r.ReadString('>')
	if err == nil && strings.HasPrefix(head, "<?xml") {
		head, err = r.ReadString('>')
	}
	require.NoError(t, err)
	require.Contains(t, head, "<stream:stream")
	require.Contains(t, head, "jabber:component:accept")
}

// TestExtraConfig starts a Prosody with a plugin of its own, loaded from
// ProsodyPlugins by ProsodyModules, and an extra VirtualHost.
func TestExtraConfig(t *testing.T) {
	t.Parallel()
	srv := startForTest(t, KindProsody, &Options{
		ProsodyModules: []string{"xtprobe"},
		ProsodyPlugins: map[string]string{"mod_xtprobe.lua": `module:log("info", "xtprobe loaded on %s", module.host)` + "\n"},
		ProsodyConfig:  `xtprobe_option = "set"`,
		ProsodyHosts:   `VirtualHost "other.localhost"`,
	})
	// The start waits for localhost's services, not for other hosts'.
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(srv.LogFile)
		return err == nil && strings.Contains(string(b), "xtprobe loaded on localhost") &&
			strings.Contains(string(b), "xtprobe loaded on other.localhost")
	}, 10*time.Second, 20*time.Millisecond)
	cfg, err := os.ReadFile(srv.Env["XMPP_CONFIG"])
	require.NoError(t, err)
	require.Contains(t, string(cfg), `xtprobe_option = "set"`)
	require.Contains(t, string(cfg), `VirtualHost "other.localhost"`)
}
