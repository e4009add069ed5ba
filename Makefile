# The two commands a fresh machine needs (Python 3.10+, pip and make):
#   make lab    set up .venv and start JupyterLab on your own copy of the notebooks (the student version)
#   make test   set up .venv and run the whole test suite
# Instructors: make release, make autograde, make serve, make lab-sources. Maintainers: make check (the quick
# tests), make notebooks, make bench, make lock. Learners who read offline: make html.
# The class report and LMS grades: make report, make export-canvas / export-moodle ROSTER=...;
# its timing: make bench-report. The grading service's: make bench-service.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# nbgrader runs helper scripts (alembic) that live next to the venv's python.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: lab lab-sources student test check install release autograde serve notebooks bench lock lock-upgrade
.PHONY: report export-canvas export-moodle bench-report bench-service html

install: $(INSTALLED)

# The exact versions the test suite passed with (requirements.lock, every extra), then the kit itself,
# editable, so code changes need no reinstall. Reinstall when the metadata or the lock changes.
$(INSTALLED): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# Re-resolve requirements.lock from pyproject.toml's ranges after a dependency change, keeping the
# pinned versions that still fit; lock-upgrade moves every package to its newest allowed release.
# One lock for every Python the kit supports (uv's universal resolution: markers pick per version).
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --all-extras --universal --python-version 3.10 \
	--custom-compile-command 'make lock' --quiet -o requirements.lock
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv
	$(LOCK)
lock-upgrade:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv
	$(LOCK) --upgrade

# Jupyter refuses to run as root unless told to (containers and CI machines run as root).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# A learner's own working copies, student/<assignment>/<Name>.ipynb, made from the release (no solutions,
# no hidden tests) the first time and never replaced afterwards: the release is an order-only prerequisite,
# so a newer release leaves an existing copy alone. To start a notebook afresh, rename your copy and run
# make lab again.
SOURCES := $(wildcard notebooks/*/*.ipynb)
RELEASED := $(SOURCES:notebooks/%=release/%)
.SECONDARY: $(RELEASED)
student: $(SOURCES:notebooks/%=student/%)
student/%.ipynb: | release/%.ipynb
	mkdir -p $(@D)
	test -e $@ || cp release/$*.ipynb $@
release/%.ipynb: notebooks/%.ipynb $(INSTALLED)
	$(PY) -m coursekit --root $(CURDIR) release $(firstword $(subst /, ,$*))

# JupyterLab on those copies, with deploy/jupyter/self-study/ first on the configuration path: nbgrader's
# Validate button, but no formgrader, course list, assignment creation or exchange tabs.
SELF_STUDY := $(CURDIR)/deploy/jupyter/self-study$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))
lab: student
	JUPYTER_CONFIG_PATH=$(SELF_STUDY) $(VENV)/bin/jupyter lab --notebook-dir=student $(ALLOW_ROOT)

# Instructors and maintainers: JupyterLab on the source notebooks (solutions, hidden tests), with every
# nbgrader extension (formgrader, create assignment, course list).
lab-sources: $(INSTALLED)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ALLOW_ROOT)

# Everything, as CI runs it, in TEST_PROCESSES parallel pytest processes (pytest-xdist; conftest.py says
# how the tests are grouped among them); the ten slowest tests are listed at the end, so that the time
# stays visible.
TEST_PROCESSES ?= $(shell nproc 2>/dev/null || echo 1)
PARALLEL = -n $(TEST_PROCESSES) --dist loadgroup --no-loadscope-reorder
test: $(INSTALLED)
	$(PY) -m pytest $(PARALLEL) --durations=10

# The inner loop: everything but the slow and system tiers (see the markers in pyproject.toml).
check: $(INSTALLED)
	$(PY) -m pytest $(PARALLEL) -m "not slow and not system" --durations=5

# release/<assignment>/ for every assignment: what students receive.
release: $(INSTALLED)
	$(PY) -m coursekit release

# Grade every submitted/<student>/<assignment>/ with JOBS workers (default: one per core), then
# feedback/ HTML, grades.csv, summary.csv, problems.csv, tamper_report.csv and report.html.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
autograde: $(INSTALLED)
	$(PY) -m coursekit autograde --jobs $(JOBS)

# The grading service: grade each submission in the exchange as it arrives, record it and release its
# feedback, until Ctrl-C or SIGTERM (policies: GradingService in nbgrader_config.py).
serve: $(INSTALLED)
	$(PY) -m coursekit serve

# The learners' offline copy, html/<assignment>/<Name>.html: each notebook's student version (its release,
# with the committed outputs and figures of the cells around the exercises) as one accessible page, each
# figure with its description (coursekit/pages.py). From the releases, so that no solution or hidden
# test reaches the pages.
html: $(RELEASED)
	$(PY) -m coursekit --root $(CURDIR) html

# report.html again from the gradebook and the course folder (autograde writes it too).
report: $(INSTALLED)
	$(PY) -m coursekit report

# Grades for the learning-management system through nbgrader's exporter mechanism. ROSTER: a CSV
# file with a student_id column (nbgrader ids) and the LMS's identity columns (see README).
# Students missing from the roster or the gradebook are listed on stderr and in export_problems.csv.
ROSTER ?= roster.csv
EXPORT = $(VENV)/bin/nbgrader export --LmsExportPlugin.roster=$(ROSTER) \
	--LmsExportPlugin.problems_to=export_problems.csv
export-canvas: $(INSTALLED)
	$(EXPORT) --exporter coursekit.lms.CanvasExportPlugin --to canvas_grades.csv
export-moodle: $(INSTALLED)
	$(EXPORT) --exporter coursekit.lms.MoodleExportPlugin --to moodle_grades.csv

# Re-execute every source notebook in place, refreshing the outputs nbval compares against.
notebooks: $(INSTALLED)
	for nb in notebooks/*/*.ipynb; do $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.record_timing=False "$$nb" || exit 1; done

# Run-All time of each notebook and autograde time of one submission (median of 3 runs).
bench: $(INSTALLED)
	$(PY) -m coursekit.bench

# Time to build report.html for classes of 40 and 400 submissions (made from a graded seed class).
bench-report: $(INSTALLED)
	$(PY) -m tests.benchmarks.bench_report 40 400

# The grading service: submit -> feedback latency (p50, p95) and a deadline burst of 40 against make autograde.
bench-service: $(INSTALLED)
	$(PY) -m coursekit.service.bench
