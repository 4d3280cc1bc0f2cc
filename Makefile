# The two commands of the README:  `make lab`  and  `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.setup-done

.PHONY: setup lab test bench slides grade release clean

# Creates .venv (Python 3.11), installs requirements.txt and week5, makes the data available.
$(STAMP): requirements.txt pyproject.toml scripts/setup.sh
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
SUBMISSIONS ?= submissions
OUT         ?= report.csv
grade: setup
	$(PY) -m instructor.grading $(SUBMISSIONS) --reference notebooks --out $(OUT)

# The student edition (no answers, no keys, no speaker notes) -> dist/student/
release: setup
	$(PY) -m instructor.release

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
