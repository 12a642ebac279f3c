# The two commands that matter: `make demo` and `make test`. Everything sets itself up on a
# fresh machine (Debian): the Go toolchain and govmomi from apt, the Python venv in .venv.

PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
SIM     := src/vmware_wrapper/testing/_bin/vmw-sim
STAMP   := $(VENV)/.installed
# Debian ships govmomi as Go source in its GOPATH tree, for GOPATH-mode builds.
GOPATH_DEB := /usr/share/gocode
GOENV   := GO111MODULE=off GOPATH=$(GOPATH_DEB) GOFLAGS=
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS := golang-go golang-github-vmware-govmomi-dev

.PHONY: setup sim go-deps test lint unit demo bench clean

setup: $(STAMP) $(SIM)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

go-deps:
	@if ! command -v go >/dev/null || [ ! -d $(GOPATH_DEB)/src/github.com/vmware/govmomi/simulator ]; then \
	  echo "installing $(APT_PKGS) with apt-get"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(APT_PKGS) \
	  || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(APT_PKGS); }; \
	fi

sim: $(SIM)

$(SIM): $(wildcard sim/*.go) | go-deps
	mkdir -p $(dir $@)
	cd sim && $(GOENV) go build -o ../$@ .

lint: setup
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples
	$(VENV)/bin/mypy
	@test -z "$$(gofmt -l sim)" || { echo "gofmt: these need formatting:"; gofmt -l sim; exit 1; }
	cd sim && $(GOENV) go vet .

test: setup lint
	$(PY) -m pytest

demo: setup
	$(PY) examples/tour.py

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) $(SIM) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
