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
COMPAT_VENV  := .venv-compat
COMPAT_STAMP := $(COMPAT_VENV)/.installed

.PHONY: setup sim govc go-check test lint unit demo bench compat dist clean fuzz

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

# CGO_ENABLED=0 as the wheel's build (setup.py) has it: the same build settings let that
# build, and the install test that runs it, reuse these packages from Go's build cache
# instead of compiling govmomi and the standard library a second time.
$(SIM): $(wildcard sim/*.go) sim/go.mod sim/go.sum | go-check
	mkdir -p $(dir $@)
	cd sim && CGO_ENABLED=0 $(GO) build -trimpath -o ../$@ .

govc: $(GOVC)

$(GOVC): sim/govc/main.go sim/go.mod sim/go.sum $(STAMP) | go-check
	cd sim && CGO_ENABLED=0 $(GO) build -trimpath -o ../$@ ./govc

lint: setup
	$(VENV)/bin/ruff check src tests bench examples compat setup.py
	$(VENV)/bin/ruff format --check src tests bench examples compat setup.py
	$(VENV)/bin/mypy
	@test -z "$$(gofmt -l sim)" || { echo "gofmt: these need formatting:"; gofmt -l sim; exit 1; }
	cd sim && CGO_ENABLED=0 $(GO) vet ./... && CGO_ENABLED=0 $(GO) test ./...

# Two workers, a test file each at a time (module fixtures stay whole): the tests mostly
# wait on simulators and vmw processes, so this halves the suite's time on two cores.
test: setup lint
	$(PY) -m pytest -n 2 --dist loadfile

# The property-based tests of what users type (tests/test_user_input.py), longer: 1000
# examples per property on a new random seed each run, instead of CI's few fixed ones. A
# failure prints the seed and the example that reproduce it.
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/test_user_input.py -p no:cacheprovider \
		--timeout=0 --hypothesis-show-statistics

demo: setup
	$(PY) examples/tour.py

bench: setup
	$(PY) bench/run.py
	$(PY) bench/peer.py
	$(PY) bench/by_name.py
	$(PY) bench/ovf_memory.py
	$(PY) bench/datastore_memory.py
	$(PY) bench/fleet_index.py

# community.vmware (from the ansible package, pinned in compat/requirements.txt, in a venv of
# its own) running everyday tasks against the simulator: a line per task, "N of M passed".
# Not part of `make test`. It fails only on tasks not listed as known failures in
# compat/check_ansible.py.
compat: setup $(COMPAT_STAMP)
	$(PY) compat/check_ansible.py --venv $(COMPAT_VENV)

$(COMPAT_STAMP): compat/requirements.txt
	$(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COMPAT_VENV)/bin/python -m pip install --quiet -r compat/requirements.txt
	touch $@

# The sdist and a wheel in dist/. The wheel's build (setup.py) builds its own stripped
# simulator, not the one above, and is a platform wheel when it carries one.
dist: setup
	$(PY) -m build --sdist --wheel

clean:
	rm -rf $(VENV) $(COMPAT_VENV) $(SIM) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
