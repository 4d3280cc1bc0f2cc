"""``python -m week5.grading``: the grader's command line (see ``week5.grading.cli``)."""
import sys

from .cli import main

sys.exit(main())
