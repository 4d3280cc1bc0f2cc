"""``python -m week5.grade``: the grader's command line, kept under its first name for
instructors' scripts and ``make grade``. The grader is the package ``week5.grading``."""
import sys

from .grading.cli import main

__all__ = ['main']

if __name__ == '__main__':
    sys.exit(main())
