# gojabber: the two set-up commands are `make demo` and `make test`.
# Both work on a fresh Debian machine with Go installed; what else they need
# (staticcheck, Prosody, ejabberd, slixmpp) they install themselves.

GO          ?= go
STATICCHECK_VERSION := v0.8.2
BIN         := $(CURDIR)/bin
STATICCHECK := $(BIN)/staticcheck
FUZZTIME    ?= 5s
# Debian packages the integration tests use (real servers and an interop peer).
APT_PACKAGES := prosody prosody-modules lua-unbound ejabberd openssl util-linux python3-slixmpp

.PHONY: test lint fmt-check vet staticcheck unit fuzz-smoke servers demo bench clean

## test: everything CI runs: formatting, vet, staticcheck, race tests, fuzz smoke.
test: fmt-check vet staticcheck servers unit fuzz-smoke

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

## servers: install the real servers and interop peer used by integration tests.
servers:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "run as root or install:$$missing" >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends $$missing >/dev/null 2>&1 || \
		{ apt-get update >/dev/null && apt-get install -y --no-install-recommends $$missing >/dev/null; }; \
	fi

unit:
	$(GO) test -race -count=1 -timeout 15m ./...

## fuzz-smoke: run every fuzz target briefly (FUZZTIME each).
fuzz-smoke:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash .ci/fuzz-smoke.sh

## demo: start a local Prosody, run examples/echobot and a client that talks to it.
demo: servers
	$(GO) run ./examples/demo

## bench: the codec benchmarks side by side with encoding/xml, then the
## peer benchmarks of bench/ (decode, login, round trip, idle memory against
## go-xmpp, mellium and gosrc; starts its own Prosody and ejabberd on loopback;
## writes bench/BENCHMARKS.md and bench/results/; 5-6 minutes on 2 CPUs).
bench: servers
	$(GO) test -run '^$$' -bench . -benchmem -count 1 .
	cd bench && $(GO) run ./cmd/runall

clean:
	rm -rf $(BIN)
