# Jarvis: `make run` to try it, `make test` for everything CI checks.
SHELL := /bin/bash
ENGINE ?= system
SANDBOX_DIR ?= /tmp/jarvis-sandbox-engine
JARVIS_HTTPS_PORT ?= 8443
JARVIS_DATA_DIR ?= $(CURDIR)/var
PREFIX ?= /usr/local
DESTDIR ?=
PURGE ?= 0

.PHONY: run build deps test unit bench clean install uninstall

deps:
	@scripts/install-deps.sh build run

build: deps
	swift build -c release
	scripts/bundle-xterm.py public/lib/generated/xterm.js

## Build and run nginx + jarvis-fcgi + jarvis-sse on https://127.0.0.1:$(JARVIS_HTTPS_PORT).
## ENGINE=sandbox starts a private dockerd instead of using $$DOCKER_HOST.
run: build
	@JARVIS_HTTPS_PORT=$(JARVIS_HTTPS_PORT) JARVIS_DATA_DIR=$(JARVIS_DATA_DIR) scripts/run.sh "$(ENGINE)" "$(SANDBOX_DIR)"

## Install as a service: binaries, UI, nginx site, systemd units, config, user, data (PREFIX, DESTDIR).
install: build
	@PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) scripts/install.sh install

## Remove the program files; PURGE=1 also removes config, data and keys.
uninstall:
	@PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) PURGE=$(PURGE) scripts/install.sh uninstall

## Unit, integration, end-to-end and browser tests against a private engine.
test:
	@scripts/test.sh

## Swift unit tests only (no engine needed for most; engine tests need JARVIS_TEST_DOCKER_HOST).
unit: deps
	swift test

## Benchmarks against a private engine; prints ratios against the raw Engine API.
bench:
	@scripts/bench.sh $(ARGS)

clean:
	rm -rf .build .build-* var public/lib/generated
