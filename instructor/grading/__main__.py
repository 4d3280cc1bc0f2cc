"""``python -m instructor.grading``: the grader's command line (see ``instructor.grading.cli``)."""
import sys

from .cli import main

sys.exit(main())
