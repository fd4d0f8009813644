# Cầu — the two commands that matter are `make run` and `make test`.
# Both bring up PostgreSQL and Redis first (deploy/local/services.sh: uses
# DATABASE_URL / REDIS_URL when they answer, otherwise starts local servers,
# installing the Debian packages if missing).

SHELL := /bin/bash
GO ?= go
BIN := bin/cau
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
SERVICES := eval "$$(deploy/local/services.sh)"
GO_TEST_TIMEOUT ?= 15m

.PHONY: run test build services lint bench ceiling e2e e2e-if-chromium tools images clean

## run: start Cầu with demo data at http://localhost:8080 and print the demo accounts
run: build
	@deploy/local/office.sh >/dev/null 2>&1 || echo "run: LibreOffice unavailable; documents are served without PDF conversion"
	@$(SERVICES) && \
	./$(BIN) migrate up && \
	./$(BIN) seed --demo && \
	exec ./$(BIN) serve

## test: every test (Go, against real PostgreSQL and Redis; browser tests in Chromium)
test: services tools
	@$(SERVICES) && \
	$(GO) vet ./... && \
	$(GO) test -count=1 -timeout $(GO_TEST_TIMEOUT) ./... && \
	(cd deploy/k8s && $(GO) test -count=1 ./...) && \
	$(MAKE) --no-print-directory e2e-if-chromium

## e2e: browser tests of the web client in Debian's chromium (installed if missing) against a real server
e2e: services build
	@deploy/local/browser.sh >/dev/null
	@deploy/local/firefox.sh >/dev/null
	@$(SERVICES) && cd web/e2e && npm ci --no-audit --no-fund --silent && \
	CAU_E2E_BIN=$(CURDIR)/$(BIN) node --test --test-concurrency=2 --test-timeout=300000 $(E2E_PAGES) && \
	CAU_E2E_BIN=$(CURDIR)/$(BIN) node --test --test-concurrency=1 --test-timeout=300000 $(E2E_MEDIA)

# The browser tests in two groups: pages and forms (one browser each, or
# timers) two files at a time; calls, whose pictures and delays are measured,
# one at a time after them, the machine to themselves. A new file goes with
# the pages unless named here.
E2E_MEDIA := $(addprefix tests/,communeline.test.js firefox.test.js live.test.js moderation.test.js recording.test.js room.test.js turn.test.js)
E2E_PAGES := $(filter-out $(E2E_MEDIA),$(patsubst web/e2e/%,%,$(sort $(wildcard web/e2e/tests/*.test.js))))

# e2e-if-chromium: what `make test` runs; browser.sh installs chromium, so in practice always e2e.
e2e-if-chromium:
	@if deploy/local/browser.sh >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then $(MAKE) --no-print-directory e2e; \
	else echo "e2e: chromium unavailable, browser tests skipped"; fi

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/cau

services:
	@deploy/local/services.sh >/dev/null

# tools: what the tests call besides Go (poppler, certutil, LibreOffice, fonts, promtool, coturn, ffmpeg); installed if missing.
tools:
	@deploy/local/pdftools.sh
	@deploy/local/office.sh
	@deploy/local/promtool.sh
	@deploy/local/coturn.sh
	@deploy/local/ffmpeg.sh

## images: build deploy/Dockerfile's images (bases from Debian packages where the registry is unreachable) and check a container passes /readyz; needs docker (or ENGINE=podman)
images: services
	@deploy/local/images.sh
	@$(SERVICES) && CAU_IMAGE_TEST=1 $(GO) test -count=1 -timeout 20m -run TestImageReadyz -v ./cmd/cau

## lint: gofmt, go vet, staticcheck
lint:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

## bench: Go micro-benchmarks, the 160-hall loadtest and the fan-out scenario against pion and LiveKit v1.13.5 (built by deploy/local/livekit.sh; servers in their own processes; SCENARIO=go|halls|fanout|start|nodes|record|browsers for one; nodes: the halls over 3 clustered nodes beside one; browsers: the five-browser grant-to-picture bar of 1 s); reports under bench/
bench:
	@deploy/local/bench.sh

## ceiling: the largest session this machine carries (delay p99 < 20 ms, loss < 0.1 %), server and generator on their own CPUs
ceiling:
	@deploy/local/ceiling.sh

clean:
	rm -rf bin
