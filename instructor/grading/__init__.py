"""The grader: student notebooks run sealed off, verdicts judged outside their kernels.

    python -m instructor.grading SUBMISSIONS_DIR ...   (``python -m week5.grade``: its old
                                                       name, kept for a deprecation period)

Modules, in the order a submission meets them:

``cli``        the command line (``instructor.grading.cli.main``)
``batch``      a class: find the submissions, grade every (student, notebook)
``notebooks``  read and validate notebooks, build the graded copy, nbval's comparison
``runs``       one sealed run: the driver in the sandbox, its events over a pipe
``sandbox``    the isolation around a run (bubblewrap, user nobody, none)
``driver``     what runs inside the sandbox: the cells in a kernel, one event per cell
``judging``    events -> verdicts with the keys (``keyring``: plain keys + hidden cases), in the grader's process
``report``     CSV, run records, ``--check``, the printed table

Nothing is imported here: the driver imports this package inside every sealed run, and
it should load only what it needs.
"""
