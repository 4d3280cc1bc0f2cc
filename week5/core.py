"""The d2l-compatible training core: Module, Classifier, Trainer, the device helpers,
``set_seed`` and ``init_cnn``.

Book code written for ``from d2l import mxnet as d2l`` runs with ``import week5 as d2l``;
the difference is underneath: ``Trainer.fit`` hybridizes the network, keeps the metrics
on the device and reads them back once per reporting interval, and lets callbacks
observe every step. What watches a fit (Callback, History, the progress line and board)
is in week5/callbacks.py, the book's tensor aliases in week5/tensors.py, MXNet's thread
settings and headless detection in week5/runtime.py, persistence in week5/files.py.

Never imports matplotlib, IPython or ipywidgets at module level (tests/test_imports.py
checks this).
"""
from . import runtime  # noqa: F401  (sets MXNet's thread defaults before mxnet loads)

import os  # noqa: E402
import sys  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as onp  # noqa: E402
import mxnet as mx  # noqa: E402
from mxnet import autograd, gluon, init, np, npx  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

from .callbacks import BoardCallback, History, ProgressBar, ProgressBoard  # noqa: E402
from .files import atomic_write_json, from_json, import_qualified, to_json  # noqa: E402
from .hparams import HyperParameters  # noqa: E402
from .runtime import in_notebook  # noqa: E402
from .tensors import (argmax, astype, float32, randn, reduce_mean, reshape, to,  # noqa: E402
                     use_np)

__all__ = [
    'Module', 'Classifier', 'Trainer', 'NonFiniteLossError', 'set_seed', 'init_cnn',
    'child_blocks', 'cpu', 'gpu', 'num_gpus', 'try_gpu', 'try_all_gpus',
    'nn_Module', 'autograd', 'gluon', 'init', 'np', 'npx', 'nn',
]

nn_Module = nn.Block


# --- devices ---------------------------------------------------------------------------
def cpu():
    """The CPU device."""
    return npx.cpu()


def gpu(i=0):
    """GPU number ``i`` (it need not exist; see ``try_gpu``)."""
    return npx.gpu(i)


def num_gpus():
    """The number of GPUs MXNet can use (0 on a CPU-only build)."""
    try:
        return npx.num_gpus()
    except mx.base.MXNetError:
        return 0


def try_gpu(i=0):
    """``gpu(i)`` if it exists, otherwise ``cpu()``."""
    return gpu(i) if num_gpus() >= i + 1 else cpu()


def try_all_gpus():
    """All GPUs, or ``[cpu()]`` if there is none (as the book's docstring says)."""
    return [gpu(i) for i in range(num_gpus())] or [cpu()]


def set_seed(seed):
    """Seed every random stream of a run so that it repeats on the same machine.

    Python's ``random``, NumPy's global state and MXNet's (initialisers, dropout) are
    seeded, and ``seed`` is recorded for the data: a data module built afterwards without
    a seed of its own (``FashionMNIST(seed=None)``, a ``Recipe`` without a seed) draws its
    subset, shuffling and augmentation from it (``seed_sequence``). Call it before
    building the model (its weights are drawn at construction) and the data module. A run
    repeats bit for bit in a fresh process with the same thread settings, which the
    library's defaults fix (``THREAD_DEFAULTS``); another machine may differ (MXNet build,
    CPU instruction set, library versions).
    """
    global _seed
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f'set_seed(seed={seed!r}): seed must be a non-negative int, '
                         'e.g. set_seed(0)')
    _seed = seed
    random.seed(seed)
    onp.random.seed(seed)
    mx.random.seed(seed)


_seed = None    # the seed of the last set_seed call in this process (None: never called)

# bench/chapters.py names a file here; every fit (and every memoised run loaded) appends a
# line of what it trained, so the bench can say what each slow cell spent its time on.
RUN_LOG_ENV = 'WEEK5_RUN_LOG'


def log_run(**record):
    """Append ``record`` as a JSON line to the file ``WEEK5_RUN_LOG`` names (if any)."""
    path = os.environ.get(RUN_LOG_ENV)
    if path:
        with open(path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(record) + '\n')


def seed_sequence(seed=None):
    """The ``numpy.random.SeedSequence`` a random stream of the library starts from:
    ``seed`` when given, else the last ``set_seed``'s, else fresh entropy from the OS."""
    return onp.random.SeedSequence(seed if seed is not None else _seed)


def init_cnn(block=None):
    """The book's CNN initialisation (Xavier) as an MXNet initializer.

    ``model.apply_init(inputs, d2l.init_cnn)`` and ``net.initialize(d2l.init_cnn())``
    both work; the ``block`` argument is accepted for PyTorch-style ``net.apply`` code.
    """
    return init.Xavier()


class NonFiniteLossError(FloatingPointError, ValueError):
    """The loss became NaN or infinite; the message names epoch, batch and learning rate."""


# --- models ------------------------------------------------------------------------------
class Module(nn_Module, HyperParameters):
    """The base class of models (d2l's ``Module``): a Gluon ``Block`` with ``self.net``.

    ``training_step`` / ``validation_step`` compute metrics and report them with
    ``self.plot(key, value, train)``, which the Trainer records -- on the device, read
    back once per reporting interval -- into ``trainer.history``.
    """

    def __init__(self, plot_train_per_epoch=2, plot_valid_per_epoch=1):
        use_np()
        super().__init__()
        self.save_hyperparameters()
        self.board = ProgressBoard()

    def loss(self, y_hat, y):
        raise NotImplementedError('define loss(y_hat, y) in your Module subclass')

    def forward(self, X):
        if not hasattr(self, 'net'):
            raise AttributeError(f'{type(self).__name__} has no self.net: assign a Gluon '
                                 'network to self.net in __init__, or override forward')
        fast = self.__dict__.get('_fast_net')
        if fast is not None and fast.source is self.net:
            return fast.net(X)
        return self.net(X)

    def plot(self, key, value, train):
        """Record a metric (a device scalar or a number) for the current batch."""
        trainer = self.__dict__.get('trainer')
        if trainer is None:
            raise RuntimeError(f'{type(self).__name__}.plot({key!r}, ...) needs a running '
                               'Trainer: call it from training_step/validation_step '
                               'during trainer.fit(model, data)')
        trainer._log(key, value, train)

    def training_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot('loss', l, train=True)
        return l

    def validation_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot('loss', l, train=False)

    def configure_optimizers(self):
        """Minibatch SGD on ``self.lr`` (the book's choice)."""
        if not hasattr(self, 'lr'):
            raise AttributeError(f'{type(self).__name__} has no lr: add lr=... to __init__ '
                                 'and call self.save_hyperparameters()')
        return gluon.Trainer(self.collect_params(), 'sgd', {'learning_rate': self.lr})

    def parameters(self):
        return self.collect_params()

    def apply_init(self, inputs=None, init=None):
        """(Re-)initialise the network's parameters with ``init`` (an MXNet initializer, or
        ``d2l.init_cnn``), then run ``inputs`` through it to settle deferred shapes."""
        if init is None or (callable(init) and not isinstance(init, mx.init.Initializer)):
            init = init_cnn() if init is None else init(None)
        self.net.initialize(init, force_reinit=True)
        if inputs is not None:
            with autograd.predict_mode():
                self.net(*inputs)

    # -- persistence: JSON hyperparameters + Gluon .params, no pickle --
    def save(self, path):
        """Write ``path.json`` (class and hyperparameters) and ``path.params`` (weights)."""
        base = _strip_ext(path)
        cls = type(self)
        meta = {'format': 'week5-module-1', 'class': f'{cls.__module__}:{cls.__qualname__}',
                'hparams': {k: to_json(v, k) for k, v in getattr(self, 'hparams', {}).items()}}
        os.makedirs(os.path.dirname(os.path.abspath(base)), exist_ok=True)
        self.save_parameters(base + '.params.part')
        os.replace(base + '.params.part', base + '.params')
        atomic_write_json(base + '.json', meta, indent=1)
        return base + '.json', base + '.params'

    @classmethod
    def load(cls, path, ctx=None):
        """Rebuild a model saved with ``save``: the saved class (a subclass of ``cls``) is
        constructed with the saved hyperparameters, then the weights are loaded."""
        base = _strip_ext(path)
        if not os.path.exists(base + '.json'):
            raise FileNotFoundError(f'{cls.__name__}.load({path!r}): no {base}.json; '
                                    'pass the path given to model.save(path)')
        with open(base + '.json') as f:
            meta = json.load(f)
        klass = import_qualified(meta['class'])
        if not (isinstance(klass, type) and issubclass(klass, cls)):
            raise TypeError(f'{base}.json holds a {meta["class"]}, not a {cls.__name__}: '
                            f'load it with {meta["class"].split(":")[-1]}.load(...)')
        kwargs = {k: from_json(v) for k, v in meta['hparams'].items()}
        varkw = [p.name for p in inspect.signature(klass.__init__).parameters.values()
                 if p.kind is p.VAR_KEYWORD]
        if varkw and isinstance(kwargs.get(varkw[0]), dict):   # **overrides, saved as a dict
            kwargs.update(kwargs.pop(varkw[0]))
        model = klass(**kwargs)
        model.load_parameters(base + '.params', ctx=ctx or cpu())
        return model


def _strip_ext(path):
    path = os.fspath(path)
    for ext in ('.json', '.params'):
        if path.endswith(ext):
            return path[:-len(ext)]
    return path


class Classifier(Module):
    """The base class of classification models: softmax cross-entropy loss, accuracy,
    and ``layer_summary`` (the book's shape printout)."""

    def training_step(self, batch):
        Y_hat = self(*batch[:-1])
        l = self.loss(Y_hat, batch[-1])
        self.plot('loss', l, train=True)
        self.plot('acc', self.accuracy(Y_hat, batch[-1]), train=True)
        return l

    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot('loss', self.loss(Y_hat, batch[-1]), train=False)
        self.plot('acc', self.accuracy(Y_hat, batch[-1]), train=False)

    def accuracy(self, Y_hat, Y, averaged=True):
        """The fraction (or, with ``averaged=False``, the 0/1 vector) of correct
        predictions; stays on the device."""
        Y_hat = reshape(Y_hat, (-1, Y_hat.shape[-1]))
        preds = astype(argmax(Y_hat, axis=1), Y.dtype)
        compare = astype(preds == reshape(Y, -1), float32)
        return reduce_mean(compare) if averaged else compare

    def loss(self, Y_hat, Y, averaged=True):
        Y_hat = reshape(Y_hat, (-1, Y_hat.shape[-1]))
        Y = reshape(Y, (-1,))
        l = _softmax_ce(Y_hat, Y)
        return l.mean() if averaged else l

    def layer_summary(self, X_shape):
        """Print each top-level layer's output shape for a random input of ``X_shape``."""
        X = randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, 'output shape:\t', X.shape)


_softmax_ce = gluon.loss.SoftmaxCrossEntropyLoss()


# --- the structure of a network -------------------------------------------------------------
def child_blocks(block):
    """``[(name, child)]``: the blocks ``block`` registered, in order. The one place week5
    reads Gluon's private registry of children (``week5.summary.iter_layers`` walks a
    whole network with it); MXNet 2 keeps weak references there, so those are resolved."""
    out = []
    for name, child in getattr(block, '_children', {}).items():
        if not isinstance(child, nn.Block) and callable(child):
            child = child()
        out.append((str(name), child))
    return out


# --- fast path: hybridize what can be hybridized ------------------------------------------
def _as_hybrid(block):
    """A HybridBlock computing the same as ``block`` with the same parameters, or None.

    MXNet 1.9's ``nn.Sequential`` is not a HybridBlock (and its ``hybridize`` warns); when
    all its children are hybridizable, a ``HybridSequential`` over the very same child
    blocks runs them as one cached graph.
    """
    if isinstance(block, nn.HybridBlock):
        return block
    if type(block) is nn.Sequential:
        children = [_as_hybrid(c) for _, c in child_blocks(block)]
        if children and all(c is not None for c in children):
            seq = nn.HybridSequential()
            seq.add(*children)
            return seq
    return None


class _FastNet:
    """The hybridized stand-in for ``model.net`` (a plain holder, so that Gluon does not
    count it as a container of child blocks)."""
    __slots__ = ('source', 'net')

    def __init__(self, source, net):
        self.source, self.net = source, net


def _hybridize_parts(block, **kwargs):
    """Hybridize the HybridBlocks inside a block that cannot be hybridized as a whole
    (e.g. the book's GoogLeNet, whose Inception is a plain Block)."""
    for _, child in child_blocks(block):
        if isinstance(child, nn.HybridBlock):
            child.hybridize(**kwargs)
        else:
            _hybridize_parts(child, **kwargs)


_num_gpus = num_gpus


# --- the trainer -------------------------------------------------------------------------
_warned_no_gpu = False


class Trainer(HyperParameters):
    """Trains a ``Module`` on a ``DataModule`` (d2l's ``Trainer``, fast and observable).

    ``Trainer(max_epochs, num_gpus=0, gradient_clip_val=0)`` as in the book; keyword-only
    extras: ``progress`` (tqdm line per epoch; default on unless ``WEEK5_PROGRESS=0``),
    ``board`` (draw ``model.board`` from the History; default: only inside Jupyter),
    ``log_every`` (batches per reporting interval; default: a tenth of an epoch),
    ``hybridize`` (default True) and ``callbacks`` (used by every ``fit``).

    Reporting interval: metrics stay on the device and are read back once per interval;
    a NaN/inf loss is detected there and named exactly (epoch, batch, learning rate).

    Stopping: ``trainer.stop()`` (or setting ``trainer.should_stop``) from a callback or
    another thread, or Ctrl-C / a kernel interrupt, ends the fit after the current batch;
    weights and History are kept. Calling ``fit`` again with the same model continues
    where it stopped until ``max_epochs`` epochs are done; on a finished run it trains
    ``max_epochs`` more.
    """

    def __init__(self, max_epochs, num_gpus=0, gradient_clip_val=0, *, progress=None,
                 board=None, log_every=None, hybridize=True, callbacks=()):
        if not isinstance(max_epochs, int) or isinstance(max_epochs, bool) or max_epochs < 1:
            raise ValueError(f'Trainer(max_epochs={max_epochs!r}): max_epochs must be an '
                             'int >= 1, e.g. Trainer(max_epochs=10)')
        if not isinstance(num_gpus, int) or num_gpus < 0:
            raise ValueError(f'Trainer(num_gpus={num_gpus!r}): num_gpus must be an int >= 0')
        if not isinstance(gradient_clip_val, (int, float)) or gradient_clip_val < 0:
            raise ValueError(f'Trainer(gradient_clip_val={gradient_clip_val!r}): use a '
                             'number >= 0 (0 turns clipping off)')
        if log_every is not None and (not isinstance(log_every, int) or log_every < 1):
            raise ValueError(f'Trainer(log_every={log_every!r}): use an int >= 1 '
                             '(batches per reporting interval) or None for a tenth of an epoch')
        self.save_hyperparameters(ignore=['callbacks'])
        self.callbacks = list(callbacks)
        self.gpus = [gpu(i) for i in range(min(num_gpus, _num_gpus()))]
        if num_gpus > len(self.gpus):
            _warn_no_gpu(num_gpus, len(self.gpus))
        self.history = History()
        self.should_stop = False
        self.model = None
        self.epoch = 0
        self.train_batch_idx = 0
        self.val_batch_idx = 0
        self.batch_in_epoch = 0
        self.num_train_batches = 0
        self.num_val_batches = 0
        self._epochs_done = self._target = 0
        self._wall = 0.0
        self._logs = None

    @property
    def devices(self):
        return self.gpus or [cpu()]

    def stop(self):
        """Ask the running fit to end after the current batch."""
        self.should_stop = True

    # -- d2l's structure, kept so that students' overrides still apply --
    def prepare_data(self, data):
        self.train_dataloader = data.train_dataloader()
        self.val_dataloader = data.val_dataloader()
        self.num_train_batches = len(self.train_dataloader)
        self.num_val_batches = (len(self.val_dataloader)
                                if self.val_dataloader is not None else 0)
        if self.num_train_batches == 0:
            raise ValueError('data.train_dataloader() yields no batches: check num_train '
                             'and batch_size of the data module')

    def prepare_model(self, model):
        model.trainer = self
        model.board.xlim = [0, self.max_epochs]
        if self.gpus:
            model.collect_params().reset_ctx(self.gpus)
        if self.hybridize and hasattr(model, 'net'):
            kwargs = {'static_alloc': True, 'static_shape': True}
            hybrid = _as_hybrid(model.net)
            if hybrid is not None:
                hybrid.hybridize(**kwargs)
                model.__dict__['_fast_net'] = _FastNet(model.net, hybrid)
            else:
                _hybridize_parts(model.net, **kwargs)
        self.model = model

    def prepare_batch(self, batch):
        """Turn a batch into MXNet arrays on the training device(s)."""
        batch = [a if isinstance(a, np.ndarray) else np.array(a) for a in batch]
        if len(self.gpus) == 1:
            batch = [to(a, self.gpus[0]) for a in batch]
        return batch

    def clip_gradients(self, grad_clip_val, model):
        """Rescale all gradients so their global norm is at most ``grad_clip_val``
        (computed on the device: no sync)."""
        grads = [g for p in model.collect_params().values() if p.grad_req != 'null'
                 for g in p.list_grad()]
        first = grads[0].ctx
        norm = np.sqrt(sum((g ** 2).sum().as_in_ctx(first) for g in grads))
        scale = np.minimum(1.0, grad_clip_val / (norm + 1e-12))
        for g in grads:
            g[:] *= scale.as_in_ctx(g.ctx)

    def fit(self, model, data, callbacks=()):
        """Train ``model`` on ``data``; what it measured is in ``trainer.history``.

        Returns None, as d2l's ``fit`` does, so that a notebook cell ending in
        ``trainer.fit(model, data)`` shows the plots and no stray ``History(...)`` line."""
        use_np()
        if self.model is not model:             # a new run
            self.history, self._epochs_done, self._target, self._wall = History(), 0, 0, 0.0
            self.train_batch_idx = self.val_batch_idx = 0
        if self._epochs_done >= self._target:    # new, or finished: train max_epochs more
            self._target = self._epochs_done + self.max_epochs
        started, epochs_before = time.time(), self._epochs_done
        self.prepare_data(data)
        self.prepare_model(model)
        self.optim = model.configure_optimizers()
        self.should_stop = False
        self._interval = self.log_every or max(1, self.num_train_batches // 10)
        self._cbs = list(self.callbacks) + list(callbacks)
        progress = self.progress if self.progress is not None else (
            os.environ.get('WEEK5_PROGRESS', '1').lower() not in ('0', 'false', 'off', 'no'))
        if progress:
            self._cbs.append(ProgressBar())
        if self.board if self.board is not None else in_notebook():
            self._cbs.append(BoardCallback())
        self._call('on_fit_start')
        try:
            with _StopOnInterrupt(self):
                try:
                    while self._epochs_done < self._target and not self.should_stop:
                        self.epoch = self._epochs_done
                        self.fit_epoch()
                        self._epochs_done += 1
                        self._call('on_epoch_end', self.epoch)
                except KeyboardInterrupt:
                    self._interrupted()
        finally:
            self._call('on_fit_end')
            seed = getattr(data, 'seed', None)
            log_run(network=type(model).__name__, images=getattr(data, 'num_train', None),
                    resize=list(getattr(data, 'resize', ()) or ()),
                    epochs=self._epochs_done - epochs_before,
                    seed=_seed if seed is None else seed, start=started, end=time.time())

    def _interrupted(self):
        npx.waitall()
        self.should_stop = True
        self._flush_train()
        print(f'Training interrupted in epoch {self.epoch + 1}; weights and history are kept. '
              'Call fit again to continue.', file=sys.stderr)

    def _call(self, hook, *args):
        for cb in self._cbs:
            getattr(cb, hook)(self, self.model, *args)

    def fit_epoch(self):
        """One epoch: train on every batch, then validate; records an epoch row."""
        model = self.model
        self._logs = {}
        self._epoch_sums = {}
        self._interval_start = 0
        examples, t0 = 0, time.perf_counter()
        self.batch_in_epoch = 0
        for self.batch_in_epoch, batch in enumerate(self.train_dataloader):
            batch = self.prepare_batch(batch)
            n = batch[-1].shape[0]
            self._n = n
            self._train_batch(model, batch)
            examples += n
            self.train_batch_idx += 1
            if (self.batch_in_epoch + 1) % self._interval == 0:
                self._flush_train()
            self._call('on_train_batch_end', self.batch_in_epoch)
            if self.should_stop:
                break
        stopped = self.should_stop
        self._flush_train()
        npx.waitall()
        train_time = time.perf_counter() - t0
        row = {'epoch': self.epoch + 1}
        for key, (total, count) in self._epoch_sums.items():
            row['train_' + key] = total / count
        val = {} if stopped else self._validate(model)
        row.update({'val_' + k: v for k, v in val.items()})
        self._wall += time.perf_counter() - t0
        row.update(examples_per_sec=examples / train_time if train_time > 0 else None,
                   wall_time=self._wall, epoch_time=time.perf_counter() - t0,
                   examples=examples)
        if stopped:
            row['stopped_at_batch'] = self.batch_in_epoch + 1
        for key in History.EPOCH_KEYS:
            row.setdefault(key, None)
        self.history.epochs.append(row)

    def _train_batch(self, model, batch):
        if len(self.gpus) > 1:
            shards = list(zip(*(gluon.utils.split_and_load(a, self.gpus, even_split=False)
                                for a in batch)))
            with autograd.record():
                losses = []
                for shard in shards:
                    self._n = shard[-1].shape[0]
                    losses.append(self._step_loss(model, list(shard)))
            autograd.backward(losses)
        else:
            with autograd.record():
                loss = self._step_loss(model, batch)
            loss.backward()
        if self.gradient_clip_val > 0:
            self.clip_gradients(self.gradient_clip_val, model)
        self.optim.step(max(1, len(self.gpus)))

    def _step_loss(self, model, batch):
        before = len(self._logs.get(('loss', True), ()))
        loss = model.training_step(batch)
        if loss is None:
            raise TypeError(f'{type(model).__name__}.training_step must return the loss')
        if len(self._logs.get(('loss', True), ())) == before:  # the step did not plot it
            self._log('loss', loss, True)
        return loss

    def _log(self, key, value, train):
        """Keep a metric of the current batch on the device (detached, no sync)."""
        if hasattr(value, 'detach'):
            value = value.detach()
            if value.size != 1:
                value = value.mean()
        if self._logs is None:   # a student's own fit_epoch calling model.plot
            self._logs = {}
        self._logs.setdefault((key, train), []).append((value, getattr(self, '_n', 1)))

    def _read(self, entries):
        """One device->host copy for a list of (value, n): per-batch float64 values."""
        values = [v for v, _ in entries]
        arrays = [to(v.reshape(()), cpu()) for v in values if hasattr(v, 'asnumpy')]
        host = iter(np.stack(arrays).asnumpy().astype('float64') if arrays else [])
        return [float(next(host)) if hasattr(v, 'asnumpy') else float(v) for v in values]

    def _flush_train(self):
        """Read the interval's train metrics back, check the loss, append a batch row."""
        logs = {k: v for k, v in self._logs.items() if k[1]}
        if not logs or not any(logs.values()):
            return
        row = {'step': self.epoch + (self.batch_in_epoch + 1) / self.num_train_batches,
               'epoch': self.epoch + 1, 'batch': self.batch_in_epoch + 1}
        for (key, _), entries in logs.items():
            values = self._read(entries)
            weights = [n for _, n in entries]
            if key == 'loss':
                self._check_finite(values)
            total = sum(v * w for v, w in zip(values, weights))
            s = self._epoch_sums.setdefault(key, [0.0, 0])
            s[0] += total
            s[1] += sum(weights)
            row['train_' + key] = total / sum(weights)
            self._logs[(key, True)] = []
        self._interval_start = self.batch_in_epoch + 1
        self.history.batches.append(row)

    def _check_finite(self, values):
        for i, v in enumerate(values):
            if not math.isfinite(v):
                batch = self._interval_start + i + 1
                lr = getattr(self.optim, 'learning_rate', getattr(self.model, 'lr', None))
                raise NonFiniteLossError(
                    f'the training loss became {v} in epoch {self.epoch + 1}, batch {batch} '
                    f'of {self.num_train_batches} (learning rate {lr}): lower the learning '
                    f'rate (e.g. lr={lr / 10 if lr else "0.01"}) or set gradient_clip_val')

    def _validate(self, model):
        if self.val_dataloader is None:
            return {}
        self._logs = {}
        for batch in self.val_dataloader:
            batch = self.prepare_batch(batch)
            self._n = batch[-1].shape[0]
            if len(self.gpus) > 1:
                for shard in zip(*(gluon.utils.split_and_load(a, self.gpus, even_split=False)
                                   for a in batch)):
                    self._n = shard[-1].shape[0]
                    model.validation_step(list(shard))
            else:
                model.validation_step(batch)
            self.val_batch_idx += 1
        out = {}
        for (key, train), entries in self._logs.items():
            if not train and entries:
                values = self._read(entries)
                weights = [n for _, n in entries]
                out[key] = sum(v * w for v, w in zip(values, weights)) / sum(weights)
        self._logs = {}
        return out


def _warn_no_gpu(requested, found):
    global _warned_no_gpu
    if not _warned_no_gpu:
        _warned_no_gpu = True
        where = f'{found} GPU(s)' if found else 'no GPU; training on the CPU'
        warnings.warn(f'Trainer(num_gpus={requested}): found {where}.', stacklevel=3)


class _StopOnInterrupt:
    """During fit, Ctrl-C / a kernel interrupt sets ``trainer.should_stop`` (the fit ends
    after the current batch); a second Ctrl-C interrupts at once. Main thread only."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.previous = None

    def _handler(self, signum, frame):
        if self.trainer.should_stop:
            raise KeyboardInterrupt
        self.trainer.should_stop = True
        print('Stopping after the current batch (Ctrl-C again to interrupt now).',
              file=sys.stderr)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                self.previous = signal.signal(signal.SIGINT, self._handler)
            except ValueError:
                self.previous = None
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False
