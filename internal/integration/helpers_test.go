package integration_test

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gojabber/xmpp/xmpptest"
)

// freshUser registers a new user on srv, named prefix-<random>, so that
// tests whose state persists on the server (rosters, archives) do not see
// each other's. Its password is srv.Password(user).
func freshUser(t *testing.T, srv *xmpptest.Server, prefix string) string {
	t.Helper()
	user := prefix + "-" + strings.ToLower(rand.Text()[:10])
	require.NoError(t, srv.AddUser(testCtx(t), user, user+"-pass"), "AddUser(%s)", user)
	return user
}
