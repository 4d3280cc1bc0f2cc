"""The d2l-compatible training core: HyperParameters, Module, Classifier, Trainer,
Callback, History and the device helpers.

Never imports matplotlib, IPython or ipywidgets (tests/test_imports.py checks this).
"""
import inspect

__all__ = ['HyperParameters']


class HyperParameters:
    """Saves the arguments of the calling ``__init__`` as attributes (d2l's helper)."""

    def save_hyperparameters(self, ignore=()):
        frame = inspect.currentframe().f_back
        _, _, _, local_vars = inspect.getargvalues(frame)
        skip = set(ignore) | {'self'}
        self.hparams = {k: v for k, v in local_vars.items()
                        if k not in skip and not k.startswith('_')}
        for k, v in self.hparams.items():
            setattr(self, k, v)
