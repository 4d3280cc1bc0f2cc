"""Chapter 6 (comparison): the checks of its exercises."""
from .base import CHOICE, NUMBER, Check, Fail, as_int, require

NETWORKS = ('lenet', 'alexnet', 'vgg', 'nin', 'googlenet')
_ALIASES = {'vgg11': 'vgg', 'inception': 'googlenet'}


def as_network(answer):
    """A network's name as the check compares it: lower case, no dashes or spaces."""
    require(answer, "a network's name, e.g. 'lenet'")
    name = str(answer).strip().lower().replace('-', '').replace(' ', '')
    name = _ALIASES.get(name, name)
    if name not in NETWORKS:
        raise Fail(f'{answer!r} is not one of {", ".join(NETWORKS)}')
    return name


def as_networks(answer):
    """A set of network names as the check compares it: a sorted tuple without repeats.
    Takes one name (``'nin'``), several in one string (``'nin, vgg'``), or a list, tuple
    or set of names; an unknown name fails with the valid ones."""
    require(answer, "the networks' names, e.g. ('lenet', 'vgg')")
    if isinstance(answer, str):
        items = [part for part in answer.replace(';', ',').split(',') if part.strip()]
    elif isinstance(answer, (list, tuple, set, frozenset)):
        items = list(answer)
    else:
        raise Fail(f"expected names such as ('lenet', 'vgg'), got {type(answer).__name__} "
                   f'{answer!r}')
    if not all(isinstance(item, str) for item in items):
        raise Fail(f"expected names (strings) such as ('lenet', 'vgg'), got {answer!r}")
    return tuple(sorted({as_network(item) for item in items}))


CHECKS = (
    Check('params_ratio_96', NUMBER,
          'How many times more parameters VGG-11 has than NiN at 96x96 input (one grey\n'
          "channel, the book's networks: get_model(name, resize=96)), rounded down.",
          what='a whole number of times',
          parse=lambda answer: as_int(answer, 'a whole number of times'),
          rule="count both networks' parameters at 96x96: find out which layers depend on the "
               'input size, divide the larger count by the smaller and round down'),
    Check('input_free_params', CHOICE,
          'Which of the five networks keep exactly the same parameter count when the\n'
          'input grows from 224x224 to 448x448? A set of names.',
          what="the networks' names, e.g. ('lenet', 'vgg')", parse=as_networks,
          rule='a layer whose weights depend on the size of the feature map it reads changes '
               'with the input; look at how each network ends'),
)
