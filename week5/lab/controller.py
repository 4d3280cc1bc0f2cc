"""The lab's run controller: one training run at a time on ONE background thread (or
synchronously when headless), Stop, and the history of runs; and the status texts.

Everything MXNet does for a run (building the model, fit, reading the filters) happens on
the training thread (MXNet state is per thread). Stopping is a flag: a Stop pressed
before ``fit`` began is applied when it begins (``fit`` resets ``should_stop``).

One measure per name. The Trainer records the train loss and accuracy twice: as means
over each reporting interval (the batch rows the curves draw) and as the mean over the
whole epoch (the epoch row). The status line only ever shows epoch means, named so:
"train acc (epoch mean so far)" while an epoch runs, "train acc (epoch mean)" once it
has ended, and the final line prints the last epoch row under the same names and digits
as the last live line, so the two never disagree.
"""
import threading
import time

from ..callbacks import Callback
from ..inside import conv_layers, conv_weights, to_mx_array
from ..recipe import Run

# how the status line names each measure of an epoch row
NAMES = {'train_loss': 'train loss (epoch mean)', 'train_acc': 'train acc (epoch mean)',
         'val_loss': 'val loss', 'val_acc': 'val acc'}
DIGITS = 3


def measures(row, digits=DIGITS, names=NAMES):
    """'train loss (epoch mean) 0.512, ..., val acc 0.843' for the keys ``row`` has."""
    return ', '.join(f'{name} {float(row[key]):.{digits}f}' for key, name in names.items()
                     if row.get(key) is not None)


def epoch_so_far(batches, epoch):
    """The running means of the train metrics over the batches of ``epoch`` (1-based)
    recorded so far, from the batch rows (each the mean of its interval's batches)."""
    sums, count, last = {}, 0, 0
    for row in batches:
        if row.get('epoch') != epoch:
            continue
        n = row['batch'] - last
        last, count = row['batch'], count + n
        for key in ('train_loss', 'train_acc'):
            if row.get(key) is not None:
                sums[key] = sums.get(key, 0.0) + n * row[key]
    return {k: v / count for k, v in sums.items()} if count else {}


def _epochs(n):
    return f'{n} epoch{"s" if n != 1 else ""}'


def final_text(run, number, digits=DIGITS):
    """The last status line of a run, each thing said once:
    'Finished run #2 (relu, lr 0.1; 3 epochs): train loss (epoch mean) 0.512, ...'."""
    changes = run.label.split(' ', 1)[1] if run.label.startswith('#') else run.label
    rows = run.history.epochs
    if not rows:
        return f'Stopped run #{number} ({changes}) before its first batch.'
    last = rows[-1]
    if run.stopped and last.get('stopped_at_batch'):
        batches = last['stopped_at_batch']
        text = (f'Stopped run #{number} ({changes}) in epoch {last["epoch"]}, after batch '
                f'{batches}. Means over those {batches} batches: '
                + measures(last, digits, {'train_loss': 'train loss', 'train_acc': 'train acc'}))
        done = [r for r in rows if r.get('val_acc') is not None]
        if done:
            text += f'; after epoch {done[-1]["epoch"]}: ' + measures(done[-1], digits, {
                k: NAMES[k] for k in ('val_loss', 'val_acc')})
        return text
    what = changes if 'epoch' in changes else f'{changes}; {_epochs(len(rows))}'
    head = 'Stopped' if run.stopped else 'Finished'
    return f'{head} run #{number} ({what}): {measures(last, digits)}'


class _StopGuard(Callback):
    def __init__(self, controller):
        self.controller = controller

    def on_fit_start(self, trainer, model):
        if self.controller.stop_requested:
            trainer.stop()


class _FirstFilters(Callback):
    """Keeps the first convolution's weights as the fit starts (on the training thread):
    the "before" of the run's before | after | difference picture."""

    def __init__(self):
        self.weights = None

    def on_fit_start(self, trainer, model):
        self.weights = conv_weights(model) if conv_layers(model) else None


def _load_weights(model, weights):
    """Give ``model`` the parameter values ``weights`` (numpy arrays in the order of
    ``collect_params()``) when every shape matches; True if it did."""
    params = list(model.net.collect_params().values())
    if len(params) != len(weights) or any(tuple(p.shape) != w.shape
                                          for p, w in zip(params, weights)):
        return False
    for p, w in zip(params, weights):
        p.set_data(to_mx_array(w))
    return True


class StatusLine(Callback):
    """Progress in the status line (at most every ``interval`` seconds) with the epoch's
    running means, and each finished epoch's row under the final line's names."""

    def __init__(self, say, number, interval=0.5):
        self.say, self.number, self.interval, self._last = say, number, interval, 0.0

    def on_train_batch_end(self, trainer, model, batch_idx):
        now = time.perf_counter()
        if now - self._last < self.interval:
            return
        self._last = now
        so_far = epoch_so_far(trainer.history.batches, trainer.epoch + 1)
        names = {k: NAMES[k].replace('epoch mean', 'epoch mean so far')
                 for k in ('train_loss', 'train_acc')}
        text = measures(so_far, names=names)
        self.say(f'Run #{self.number}: epoch {trainer.epoch + 1}/{trainer.max_epochs}, '
                 f'batch {batch_idx + 1}/{trainer.num_train_batches}'
                 + (f', {text}' if text else ''))

    def on_epoch_end(self, trainer, model, epoch):
        row = trainer.history.epochs[-1]
        if row.get('stopped_at_batch'):
            return
        self.say(f'Run #{self.number}: epoch {epoch + 1}/{trainer.max_epochs} done, '
                 f'{measures(row)}')


class RunController:
    """Starts runs (one at a time), stops them, keeps them (``runs``: `week5.recipe.Run`)
    and the first-layer filters each run started from (``first_filters``: {run number:
    weights}).

    ``say(text, kind)`` reports to the status line; ``done(run, number)`` is called on
    the training thread after each run that ended without an error."""

    def __init__(self, say, done, data=None, factory=None, callbacks=(), headless=False):
        self.say, self.done, self.data, self.factory = say, done, data, factory
        self.callbacks, self.headless = list(callbacks), headless
        self.runs, self.last_error, self.next_number = [], None, 1
        self.first_filters = {}
        self.stop_requested = False
        self._lock = threading.Lock()
        self._thread = self._trainer = None
        self._data_cache = {}

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout=None):
        """Block until the current run (if any) ends; True if none is running after."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running

    def start(self, recipe, label, live=lambda number, label: [], weights=None):
        """Train ``recipe`` as run number ``next_number``; ``label(number)`` names it,
        ``live(number, label)`` gives the callbacks that draw while it trains;
        ``weights`` (numpy arrays, see `_load_weights`), when given, are the initial
        weights of its model (the ones the first screen showed). Returns the run's
        number, or None when a run is already in progress."""
        with self._lock:
            if self.running:
                self.say('A run is already in progress: press Stop first, or wait for it '
                         'to finish.', 'warn')
                return None
            self.stop_requested = False
            number, self.next_number = self.next_number, self.next_number + 1
            name = label(number)
            self.say(f'Run {name}: starting')
            first = _FirstFilters()
            callbacks = [_StopGuard(self), first, *self.callbacks]
            args = (number, recipe, name, callbacks, first, weights)
            if self.headless:
                self._train(*args)
                return number
            callbacks += [StatusLine(self.say, number), *live(number, name)]
            self._thread = threading.Thread(target=self._train, args=args,
                                            name=f'week5-lab-run-{number}', daemon=True)
            self._thread.start()
            return number

    def stop(self):
        if not self.running:
            self.say('Nothing to stop: no run is in progress.')
            return
        self.stop_requested = True
        if self._trainer is not None:
            self._trainer.stop()
        self.say('Stopping after the current batch...')

    def clear(self):
        """Forget the stored runs (numbering starts again); returns how many there were."""
        n = len(self.runs)
        self.runs.clear()
        self.first_filters.clear()
        self.next_number = 1
        return n

    def _data_for(self, recipe):
        if self.data is not None:
            return self.data
        key = (recipe.resize, recipe.batch_size, recipe.num_train, recipe.num_val,
               recipe.augment, recipe.seed)
        if key not in self._data_cache:
            self._data_cache[key] = recipe.data()
        return self._data_cache[key]

    def _train(self, number, recipe, label, callbacks, first, weights):
        start = time.perf_counter()
        try:
            self.say(f'Run #{number}: loading data and building the model...')
            model, data, trainer = recipe.build(self._data_for(recipe), self.factory,
                                                callbacks, progress=False, board=False)
            if weights is not None and not _load_weights(model, weights):
                raise ValueError('the initial weights do not fit this model')
            self._trainer = trainer
            trainer.fit(model, data)
        except Exception as err:             # shown in the status line, kept for code
            self.last_error = err
            self.say(f'Run #{number} failed: {err}', 'error')
            return
        finally:
            self._trainer = None
        run = Run(recipe, trainer.history, model, time.perf_counter() - start,
                  stopped=trainer.should_stop, label=label)
        self.runs.append(run)
        self.first_filters[number] = first.weights
        self.last_error = None
        self.done(run, number)
