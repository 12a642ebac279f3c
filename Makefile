# The two commands that matter: `make demo` and `make test`. Everything sets itself up on a
# fresh machine: the simulator and govc are built with the machine's Go from the Go module
# proxy (govmomi pinned in sim/go.mod), the Python venv goes to .venv.

PYTHON  ?= python3
GO      ?= go
VENV    := .venv
PY      := $(VENV)/bin/python
SIM     := src/vmware_wrapper/testing/_bin/vmw-sim
GOVC    := $(VENV)/bin/govc
STAMP   := $(VENV)/.installed

.PHONY: setup sim govc go-check test lint unit demo bench dist clean

setup: $(STAMP) $(SIM) $(GOVC)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# govmomi needs Go 1.25 or newer (its go.mod says so); say so plainly instead of failing
# somewhere inside a build.
go-check:
	@command -v $(GO) >/dev/null || { echo "make: Go 1.25 or newer is needed (https://go.dev/dl)"; exit 1; }
	@$(GO) version | awk '{v=$$3; sub("go","",v); split(v,p,"."); if (p[1] < 1 || (p[1] == 1 && p[2] < 25)) { print "make: Go 1.25 or newer is needed, this is " $$3; exit 1 }}'

sim: $(SIM)

$(SIM): $(wildcard sim/*.go) sim/go.mod sim/go.sum | go-check
	mkdir -p $(dir $@)
	cd sim && $(GO) build -trimpath -o ../$@ .

govc: $(GOVC)

$(GOVC): sim/govc/main.go sim/go.mod sim/go.sum $(STAMP) | go-check
	cd sim && $(GO) build -trimpath -o ../$@ ./govc

lint: setup
	$(VENV)/bin/ruff check src tests bench examples setup.py
	$(VENV)/bin/ruff format --check src tests bench examples setup.py
	$(VENV)/bin/mypy
	@test -z "$$(gofmt -l sim)" || { echo "gofmt: these need formatting:"; gofmt -l sim; exit 1; }
	cd sim && $(GO) vet ./... && $(GO) test ./...

test: setup lint
	$(PY) -m pytest

demo: setup
	$(PY) examples/tour.py

bench: setup
	$(PY) bench/run.py
	$(PY) bench/peer.py
	$(PY) bench/by_name.py

# The sdist and a wheel in dist/. The wheel's build (setup.py) builds its own stripped
# simulator, not the one above, and is a platform wheel when it carries one.
dist: setup
	$(PY) -m build --sdist --wheel

clean:
	rm -rf $(VENV) $(SIM) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
