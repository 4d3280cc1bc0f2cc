# The two commands of the README:  `make lab`  and  `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.setup-done

.PHONY: setup lab test bench slides grade gradescope nbgrader release clean

# Creates .venv (Python 3.11), installs requirements-instructor.txt (the student's
# requirements.txt + tests and grading), week5 and instructor, makes the data available.
$(STAMP): requirements.txt requirements-instructor.txt pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

setup: $(STAMP)

# Command 1: everything installed, data in place, JupyterLab open on the notebooks.
lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

# Command 2: the whole test suite: unit tests, browser tests and nbval over notebooks/,
# in the quick profile.
test: setup
	WEEK5_PROFILE=quick $(PY) -m pytest --nbval --nbval-current-env \
	    --nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout=600 tests notebooks

bench: setup
	$(PY) bench/data.py
	$(PY) bench/train.py

# Offline reveal.js decks of every notebook into slides/ (open slides/index.html).
slides: setup
	$(PY) -m week5.slides

# Grade student notebooks: make grade SUBMISSIONS=path/to/submissions [OUT=report.csv]
#   [POLICY=grading.toml] [DEADLINE=2026-12-01T23:59] [HAND=hand/] [ROSTER=roster.csv]
#   [GRADEBOOK=canvas|moodle] [GRADEBOOK_EXPORT=export.csv] [ASSIGNMENT="Week 5 (1234)"]
#   [FEEDBACK=feedback/] [STATS=stats.csv] [JOBS=2] [ARGS="any other option of the grader"]
SUBMISSIONS ?= submissions
OUT         ?= report.csv
GRADE_OPTS   = $(if $(POLICY),--policy $(POLICY)) $(if $(DEADLINE),--deadline $(DEADLINE)) \
               $(if $(HAND),--hand $(HAND)) $(if $(ROSTER),--roster $(ROSTER)) \
               $(if $(GRADEBOOK),--gradebook $(GRADEBOOK)) \
               $(if $(GRADEBOOK_EXPORT),--gradebook-export $(GRADEBOOK_EXPORT)) \
               $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") \
               $(if $(FEEDBACK),--feedback $(FEEDBACK)) $(if $(STATS),--stats $(STATS)) \
               $(if $(JOBS),--jobs $(JOBS))
grade: setup
	$(PY) -m instructor.grading $(SUBMISSIONS) --reference notebooks --out $(OUT) $(GRADE_OPTS) $(ARGS)

# The Gradescope autograder -> dist/gradescope/autograder.zip
#   [NOTEBOOKS="01_lenet 03_vgg"] (default: every chapter with exercises) [POLICY=grading.toml]
gradescope: setup
	$(PY) -m instructor.grading.gradescope build --out dist/gradescope/autograder.zip \
	    $(foreach n,$(NOTEBOOKS),--notebook $(n)) $(if $(POLICY),--policy $(POLICY)) $(ARGS)

# Every chapter as an nbgrader source assignment -> $(COURSE)/source/<chapter>/ (then, in
# $(COURSE): nbgrader generate_assignment <chapter>, ..., nbgrader autograde <chapter>)
COURSE ?= nbgrader
nbgrader: setup
	$(PY) -m instructor.grading.nbgrader_export $(COURSE) \
	    $(foreach n,$(NOTEBOOKS),--notebook $(n)) $(if $(POLICY),--policy $(POLICY)) $(ARGS)

# The student edition (no answers, no keys, no speaker notes) -> dist/student/
release: setup
	$(PY) -m instructor.release

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
