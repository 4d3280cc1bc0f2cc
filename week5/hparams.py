"""d2l's two small utilities: ``HyperParameters`` (save ``__init__``'s arguments) and
``add_to_class`` (for students' notebooks; the library defines each class in one place)."""
import inspect

__all__ = ['HyperParameters', 'add_to_class']


def add_to_class(Class):
    """Register the decorated function as a method of ``Class`` (the book's helper).

    For students' notebooks: the library itself defines each class in one place.
    """
    def wrapper(obj):
        setattr(Class, obj.__name__, obj)
        return obj
    return wrapper


class HyperParameters:
    """Saves the arguments of the calling ``__init__`` as attributes (d2l's helper)."""

    def save_hyperparameters(self, ignore=()):
        """Store the caller's arguments (not its other locals: a closure variable is not
        a hyperparameter) in ``self.hparams`` and as attributes, minus ``ignore``."""
        frame = inspect.currentframe().f_back
        args, varargs, varkw, local_vars = inspect.getargvalues(frame)
        names = [a for a in args + [varargs, varkw] if a]
        skip = set(ignore) | {'self'}
        self.hparams = {k: local_vars[k] for k in names
                        if k not in skip and not k.startswith('_')}
        for k, v in self.hparams.items():
            setattr(self, k, v)
