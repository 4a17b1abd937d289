package xmpp

import (
	"context"
	"net"
)

// TEMPORARY stub until srv.go lands on main; delete this file then.

type dialTarget struct {
	Host      string
	Port      uint16
	DirectTLS bool
}

func resolveTargets(ctx context.Context, r *net.Resolver, domain string) []dialTarget {
	return []dialTarget{{Host: domain, Port: 5222}}
}
