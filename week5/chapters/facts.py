"""The numbers a chapter's text may type: paper facts and architecture sizes.

Everything else a chapter's Markdown or speaker notes state about a run (an accuracy, a
loss, a ratio, a speed, a time, a difference in points) is a reference to a record,
``{glue:text}`name:.3f``` (week5/results.py), filled from the executed notebook.
tests/test_prose.py fails on a measured-looking number that is neither; to type one that
is not measured here, declare it below: the string exactly as the text types it, and
where it comes from. An instructor who edits a chapter adds the row in the same commit.
"""

FACTS = {   # notebook (file stem) -> {typed string: where it comes from}
    '00_overview': {
        '7.5 billion': "VGG-11's multiply-accumulates for one 224x224 image (architecture "
                       "arithmetic; chapter 6's cost table prints it)",
        'roughly three times': 'a training step ~ forward + backward (~2x forward): the usual '
                               'rule of thumb (e.g. Kaplan et al. 2020, 6N vs 2N FLOPs)',
        '2.7 PFLOP': 'exercise 3 arithmetic: 3 x 15 GFLOP x 60,000 images',
    },
    '01_lenet': {
        'below 1% per digit': 'LeNet on MNIST-like digits (LeCun et al. 1998; d2l 7.6)',
        'under 1% error': 'the same paper fact, in the recap',
        'learning rate 0.1': "the book's LeNet recipe (d2l 7.6), which the lecture trains",
        'ln 10 ≈ 2.30': 'the cross-entropy of a uniform guess over 10 classes (arithmetic)',
        '(0.1, 0.3, 0.9)': 'the learning rates exercise 4 asks the student to try',
    },
    '02_alexnet': {
        '26%': 'ILSVRC 2012 top-5 error of the runner-up (Krizhevsky et al., 2012)',
        '15%': 'ILSVRC 2012 top-5 error of AlexNet (Krizhevsky et al., 2012)',
        'Ten times more channels': "the lecture's and the book's words (d2l 8.1); the "
                                   "text gives the counts beside them",
        '1.2 million images': 'ImageNet ILSVRC-2012 training set (Krizhevsky et al., 2012)',
        'probability 0.5': "AlexNet's dropout rate (Krizhevsky et al., 2012; d2l 8.1)",
    },
    '03_vgg': {},
    '04_nin': {
        '10.41%': 'NiN paper (Lin et al., 2013), CIFAR-10 test error with GAP',
        '10.88%': 'NiN paper (Lin et al., 2013), CIFAR-10 test error, dense head + dropout',
    },
    '05_googlenet': {},
    '06_compare': {
        '93%': "VGG-11's share of parameters in its dense head at 224x224 (the cost table)",
        '7.5 billion': "VGG-11's MACs for one 224x224 image (the cost table)",
        '23 times fewer': "NiN's parameters against AlexNet's at the book's sizes (the cost table)",
        '(22.5)': 'exercise 1 arithmetic: 44,920,074 / 1,992,166',
        '5.6 to 23.2 million': "LeNet's parameters at 224x224 and 448x448 (exercise 2 arithmetic)",
        'four times': "NiN's MACs at 448x448 against 224x224 (twice the side, arithmetic)",
        '0.90': 'the validation accuracy the long recipes aim at (a goal set for them, not a '
                'measurement; the runs print what each reached)',
    },
}
