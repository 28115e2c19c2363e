# make lab  : set everything up and open the course in JupyterLab (PORT=8888 by default)
# make test : set everything up and run every test (library, widgets, notebooks under nbval, browser)
# make student / make site : the student edition in student/, the course as a website in site/
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8888
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
STAMP  := $(VENV)/.installed-stamp
# glibc keeps freed heap memory for reuse instead of returning it to the kernel after every array: the
# meta-gradients allocate and free arrays of a few hundred kB thousands of times a second, and fresh
# pages made them about 1.5-2x slower (benchmarks/results/meta_gradient.md measures both). Jupyter's
# kernels and the tests inherit these variables.
export MALLOC_TRIM_THRESHOLD_ := 134217728
export MALLOC_TOP_PAD_        := 67108864
export MALLOC_MMAP_THRESHOLD_ := 16777216
FIRST  := 00_few_shot_sinusoids.ipynb

.PHONY: setup lab test browser-deps clean student site

# Re-install only when the package list changes; `pip install -e` means code edits need no reinstall.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "'$(PYTHON) -m venv' failed: on Debian/Ubuntu install python3-venv (apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $@

setup: $(STAMP)

# The browser test drives Debian's Chromium (Playwright cannot download its own browser here).
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Chromium for the browser test (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "NOTE: the browser test needs Chromium at /usr/bin/chromium; install it with 'sudo apt-get install chromium'. It is skipped until then."; \
	fi

test: setup browser-deps
	$(BIN)/python -m pytest

lab: setup
	cd notebooks && ../$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) $(ROOT_FLAG) $(if $(DISPLAY),,--no-browser) $(FIRST)

# The student edition (solutions out, outputs cleared) and the course as a static website, built
# from the notebooks on demand (both gitignored; see the README's section for instructors).
student: setup
	$(BIN)/python tools/student.py student

site: setup
	$(BIN)/python tools/website.py site

clean:
	rm -rf $(VENV) *.egg-info test-artifacts student site
