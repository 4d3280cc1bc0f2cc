"""``python -m week5.grade``: the grader's old name, kept for instructors' scripts for a
deprecation period. The grader is ``python -m instructor.grading`` (the instructor's
edition only); importing this module does nothing, running it hands over."""
import importlib.util
import runpy
import sys

NOTICE = 'week5.grade is deprecated: run `python -m instructor.grading` (same arguments)'

if __name__ == '__main__':
    print(NOTICE, file=sys.stderr)
    if importlib.util.find_spec('instructor') is None:
        sys.exit("the grader is in the instructor's edition (instructor/ beside week5/), "
                 'not in the student edition')
    runpy.run_module('instructor.grading', run_name='__main__', alter_sys=True)
