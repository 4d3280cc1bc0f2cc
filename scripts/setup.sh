#!/usr/bin/env bash
# Course setup: a Python 3.11 virtual environment in .venv with the pinned requirements
# and week5, plus the Fashion-MNIST files. Safe to run again; `make setup` calls it.
# The instructor's checkout installs requirements-instructor.txt (the student's set plus
# tests and grading); the student edition, which has only requirements.txt, that one.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
REQUIREMENTS=requirements.txt
[ -f requirements-instructor.txt ] && REQUIREMENTS=requirements-instructor.txt

find_python() {
    # mxnet 1.9.1 needs numpy < 1.24, whose wheels stop at Python 3.11.
    local candidates=("${PYTHON:-}" python3.11 python3 python)
    for py in "${candidates[@]}"; do
        [ -n "$py" ] || continue
        command -v "$py" >/dev/null 2>&1 || continue
        if "$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
            command -v "$py"; return 0
        fi
    done
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    if ! PY=$(find_python); then
        found=$(python3 --version 2>/dev/null || echo "no python3")
        cat >&2 <<MSG
week5 setup: no Python 3.11 interpreter found (python3 is: $found).
mxnet 1.9.1 (the last release) needs numpy < 1.24, which has no wheels for Python 3.12+.
Install Python 3.11 and run setup again, for example:
  Debian/Ubuntu:  sudo apt-get install python3.11 python3.11-venv
  pyenv:          pyenv install 3.11 && pyenv local 3.11
  conda:          conda env create -f environment.yml  (then: conda activate week5)
or point PYTHON at one:  PYTHON=/path/to/python3.11 make setup
MSG
        exit 1
    fi
    echo "week5 setup: creating $VENV with $PY"
    "$PY" -m venv "$VENV"
fi

"$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
"$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQUIREMENTS"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q --no-deps -e .

# Debian packages where we may install them: the data (else the official download) and,
# in the instructor's checkout, bubblewrap, which `python -m instructor.grading` uses to
# seal off each student's run.
DEB_DIR=/usr/share/datasets/fashion-mnist
WANT=""
[ -f "$DEB_DIR/train-images-idx3-ubyte.gz" ] || WANT="dataset-fashion-mnist"
[ -d instructor ] && ! command -v bwrap >/dev/null 2>&1 && WANT="$WANT bubblewrap"
if [ -n "$WANT" ] && command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" = 0 ] || { sudo -n true 2>/dev/null && SUDO="sudo -n"; } || true
    if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
        echo "week5 setup: installing Debian's$WANT"
        $SUDO apt-get update -qq || true
        for pkg in $WANT; do
            $SUDO apt-get install -y -qq "$pkg" || echo "week5 setup: apt-get could not install $pkg" \
                "(the data is then downloaded; grading runs without bubblewrap are not sealed)" >&2
        done
    fi
fi
# Finds the Debian files, or downloads and verifies the official ones into the cache,
# then decodes them once so the first notebook starts instantly.
"$VENV/bin/python" -m week5.data prepare
echo "week5 setup: done"
