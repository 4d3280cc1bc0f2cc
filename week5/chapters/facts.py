"""The numbers a chapter's text may type: paper facts and architecture sizes.

Everything else a chapter's Markdown or speaker notes state about a run (an accuracy, a
loss, a ratio, a speed, a time, a difference in points) is a reference to a record,
``{glue:text}`name:.3f``` (week5/results.py), filled from the executed notebook.
tests/test_prose.py fails on a measured-looking number that is neither; to type one that
is not measured here, declare it below: the string exactly as the text types it, and
where it comes from. An instructor who edits a chapter adds the row in the same commit.
"""

FACTS = {   # notebook (file stem) -> {typed string: where it comes from}
    '00_overview': {},
    '01_lenet': {},
    '02_alexnet': {
        '26%': 'ILSVRC 2012 top-5 error of the runner-up (Krizhevsky et al., 2012)',
        '15%': 'ILSVRC 2012 top-5 error of AlexNet (Krizhevsky et al., 2012)',
        'Ten times more channels': "the lecture's and the book's words (d2l 8.1); the "
                                   "text gives the counts beside them",
    },
    '03_vgg': {},
    '04_nin': {},
    '05_googlenet': {},
    '06_compare': {},
}
