"""week5: the d2l-compatible helper library of "Week 5: Applications of CNN".

`import week5 as d2l` stands in for `from d2l import mxnet as d2l` in the book's
chapters on LeNet, AlexNet, VGG, NiN and GoogLeNet. Importing it has no side effects:
no seed, no rcParams, no display mode (see `set_seed` and `use_svg_display`).
"""

# The d2l-compatible core first: it imports runtime.py, which sets MXNet's thread defaults
# before mxnet loads.
from .core import *  # noqa: F401,F403  (the names listed in core.__all__)
from .core import __all__ as _core_all
from .hparams import HyperParameters, add_to_class  # noqa: E402
from .callbacks import BoardCallback, Callback, History, ProgressBar, ProgressBoard  # noqa: E402
from .tensor import *  # noqa: F401,F403,E402  (the book's tensor aliases, use_np)
from .tensor import __all__ as _tensor_all  # noqa: E402
from .results import record  # noqa: E402  (numbers the chapter's text refers to)

__all__ = [*_core_all, 'HyperParameters', 'add_to_class', 'Callback', 'History',
           'ProgressBar', 'ProgressBoard', 'BoardCallback', *_tensor_all, 'record']

# Data: DataModule and FashionMNIST (week5/data.py), loaded on first use (see _LAZY) so
# that `python -m week5.data prepare` does not find week5.data already imported.
__all__ += ['DataModule', 'FashionMNIST']

# The five networks and layer summaries (week5/models/, summary.py); the quick/laptop/full
# profiles and the Recipe of a run (profiles.py, recipe.py) are loaded on first use.
from .models import (MODELS, get_model, list_models, LeNet, AlexNet, VGG, NiN,  # noqa: E402
                     GoogLeNet, GoogleNet, vgg_block, nin_block, Inception)
from .summary import layer_summary, format_summary, print_summary, iter_layers  # noqa: E402
__all__ += ['MODELS', 'get_model', 'list_models', 'LeNet', 'AlexNet', 'VGG', 'NiN',
            'GoogLeNet', 'GoogleNet', 'vgg_block', 'nin_block', 'Inception',
            'layer_summary', 'format_summary', 'print_summary', 'iter_layers', 'get_profile',
            'Recipe', 'Run']

# --- plotting, live plots and widgets: loaded on first use, so `import week5` stays free
# of matplotlib / IPython / ipywidgets (tests/test_imports.py). `d2l.show_images(...)`
# and `d2l.plt` work as in the book.
_LAZY = {
    **{name: 'viz' for name in (
        'use_svg_display', 'set_figsize', 'set_axes', 'plot', 'show_images',
        'show_image_grid', 'plot_filters', 'plot_feature_maps', 'confusion_matrix',
        'plot_confusion_matrix', 'figure_to_png')},
    'plot_history': 'curves',
    **{name: 'inside' for name in ('feature_maps', 'list_layers')},
    **{name: 'data' for name in ('DataModule', 'FashionMNIST')},
    # runs and profiles import data, so they load on first use too
    **{name: 'recipe' for name in ('Recipe', 'Run')},
    'get_profile': 'profiles',
    **{name: 'live' for name in ('LiveCurves', 'LiveFilters')},
    **{name: 'lab' for name in (
        'TrainingLab', 'FilterViewer', 'FeatureMapExplorer', 'InceptionPanel',
        'ConvolutionExplorer')},
}


def __getattr__(name):
    import importlib
    if name in ('viz', 'curves', 'live', 'lab'):
        return importlib.import_module(f'{__name__}.{name}')
    if name == 'plt':
        return importlib.import_module('matplotlib.pyplot')
    if name in _LAZY:
        return getattr(importlib.import_module(f'{__name__}.{_LAZY[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
