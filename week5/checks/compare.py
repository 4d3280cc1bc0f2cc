"""Chapter 6 (comparison): the checks of its exercises."""
from .base import CHOICE, NUMBER, Check, Fail, as_int, require

NETWORKS = ('lenet', 'alexnet', 'vgg', 'nin', 'googlenet')


def as_network(answer):
    """A network's name as the check compares it: lower case, no dashes or spaces."""
    require(answer, "a network's name, e.g. 'lenet'")
    name = str(answer).strip().lower().replace('-', '').replace(' ', '')
    name = {'vgg11': 'vgg', 'inception': 'googlenet'}.get(name, name)
    if name not in NETWORKS:
        raise Fail(f'{answer!r} is not one of {", ".join(NETWORKS)}')
    return name


CHECKS = (
    Check('params_ratio', NUMBER,
          'How many times more parameters VGG-11 has than NiN at 224x224, rounded down.',
          what='a whole number of times',
          parse=lambda answer: as_int(answer, 'a whole number of times'),
          rule="divide VGG-11's parameter count by NiN's, both from the cost table, and "
               'round down'),
    Check('gap_saving', CHOICE,
          'Which network first replaced the dense head by global average pooling?',
          what="a network's name, e.g. 'lenet'", parse=as_network,
          rule='look at how each network ends: dense layers, or one average per class '
               'channel; and at the year each appeared'),
)
