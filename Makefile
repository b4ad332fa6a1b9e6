# Weir — the two commands: `make run` and `make test`. Both install whatever is missing first (scripts/setup).
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/end2end/node_modules/.bin:$(PATH)

.PHONY: run test bench setup setup-test build release clean-flink

## make run: set up, build, start the local Flink and Weir at http://127.0.0.1:3000 (Ctrl-C stops both)
run: setup build
	scripts/run-local

## make test: set up (with chromium), build, start one shared Flink, run the Rust and browser tests
test: setup-test build
	scripts/test

## make bench: Weir's deploy and stop-with-savepoint against the raw Flink REST calls (prints medians, ratios)
bench: setup
	scripts/bench

setup:
	scripts/setup

setup-test:
	scripts/setup --browser

## the server binary and the hydrate WASM bundle (debug)
build:
	scripts/build-editor
	scripts/build-charts
	cargo leptos build

## optimised build (wasm-opt from npm binaryen); serve it with target/release/weir
release: setup
	scripts/build-editor
	scripts/build-charts
	cargo leptos build --release

## stops the local Flink and every per-job cluster of make run's local-application cluster, then removes their files
clean-flink:
	scripts/flink-local stop
	-pkill -f -- "-Dweir.cluster.dir=$(CURDIR)/data/clusters/" ; true
	rm -rf .flink data/clusters
