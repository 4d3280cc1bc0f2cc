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
``policy``     points per exercise, deadlines, late penalty, hand-graded items (``grading.toml``)
``classwork``  after the runs: roster (``roster``), points, hand grades (``handgrading``),
               class statistics (``stats``), HTML feedback (``feedback_html``)
``gradebook``, ``feedback``   the platform's import CSV; Markdown feedback
``gradescope``       the Gradescope autograder zip, and its run inside Gradescope
``nbgrader_export``  each chapter as an nbgrader source assignment

Nothing is imported here: the driver imports this package inside every sealed run, and
it should load only what it needs.
"""
