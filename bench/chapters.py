"""How long each chapter takes: executed alone, top to bottom, in a fresh kernel (run by hand).

For each chapter notebook this prints its wall time and the CPU time of its kernel (and
of the worker processes that train runs side by side, week5/sidebyside.py) against the
budget: 4 minutes on a 2-core AVX2 laptop. On a faster host the budget is the same multiple
of a reference workload timed in the same run (one epoch of the book's LeNet on all 60,000
images, in a fresh interpreter): AVX-512 hosts train faster than AVX2 ones while their
matrix products run equally fast, so a wall time alone says little (``AVX2_SLOWER``). It
prints the CPU and its widest vector instructions, the load, and the five slowest cells
with what they trained (network, images, epochs, seeds: every fit appends a line to the
file ``WEEK5_RUN_LOG`` names, see ``week5.core.log_run``).

    .venv/bin/python bench/chapters.py                      # every chapter, laptop profile
    .venv/bin/python bench/chapters.py --only 03 06         # some chapters (number prefixes)
    .venv/bin/python bench/chapters.py --profile quick      # seconds per chapter
    .venv/bin/python bench/chapters.py --readme             # and rewrite README.md's table

Every run is trained (``WEEK5_RETRAIN=1``): the times are a student's first pass. With
``--memo`` runs memoised before are loaded instead (a second pass, or runs shared between
chapters). Chapters run one after the other, never two at a time; other processes on the
machine inflate the wall times (the CPU column does not count them), so the load is
printed at the start and the end. The notebooks are executed in memory; ``--save`` writes each one back in place.
``--readme`` replaces the rows of the chapters measured in the table between the markers
``<!-- bench/chapters.py begin -->`` and ``<!-- bench/chapters.py end -->`` of README.md,
and the sentence under it that says where and how they were measured.
"""
import argparse
import datetime
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from week5.runtime import cpu_info  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 240                        # a chapter on a 2-core AVX2 laptop
# How much longer the reference workload takes on a 2-core AVX2 host than on an AVX-512
# one: the ratio measured for the book's LeNet between a Zen 3 / AVX2 host and the
# course's AVX-512 Xeon (bench/accuracy.py's LeNet row: 107 s there, 76 s here; AlexNet's
# ratio was 1.30). On an AVX-512 host a chapter's budget is therefore the number of
# reference epochs that BUDGET_S holds on the AVX2 one: BUDGET_S / (reference x 1.41).
AVX2_SLOWER = 1.41
SLOWEST = 5                           # cells listed per chapter
README = ROOT / 'README.md'
BEGIN, END = '<!-- bench/chapters.py begin -->', '<!-- bench/chapters.py end -->'
COMMAND = 'python bench/chapters.py --readme'


# -- the machine -----------------------------------------------------------------------------

def load():
    return os.getloadavg()[0]


# -- children: each measurement in a fresh interpreter ---------------------------------------

def reference_workload():
    """One epoch of the book's LeNet (sigmoid, average pooling, lr 0.1, batch 128) on all
    60,000 images with validation on 10,000, trained (not loaded): {'wall', 'cpu'}."""
    from week5.profiles import book
    recipe = book('lenet').replace(num_epochs=1, seed=0)
    recipe.data()                                   # reading the data is not the workload
    t0, c0 = time.perf_counter(), time.process_time()
    recipe.fit(retrain=True, print_fn=lambda *_: None)
    return {'wall': time.perf_counter() - t0, 'cpu': time.process_time() - c0}


def execute_chapter(path, timeout, save=False):
    """Execute notebook ``path`` in a fresh kernel, started as ``instructor.execute`` starts
    it (slide display on), and with ``save`` write it back in place; {'wall', 'cpu',
    'cells'}: the kernel's CPU seconds (it is this process' child, waited for at shutdown)
    and per code cell its index, id, first source line and start / end times (nbclient's
    timing metadata)."""
    import nbformat
    from nbclient import NotebookClient
    from instructor.execute import SLIDE_DISPLAY
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name='python3', record_timing=True,
                            resources={'metadata': {'path': str(path.parent)}},
                            extra_arguments=[f'--IPKernelApp.exec_lines={SLIDE_DISPLAY}'])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cells = []
    for i, cell in enumerate(nb.cells):
        timing = cell.metadata.get('execution', {})
        start, end = timing.get('iopub.execute_input'), timing.get('shell.execute_reply')
        if cell.cell_type != 'code' or not start or not end:
            continue
        first = next((ln for ln in cell.source.splitlines() if ln.strip()
                      and not ln.startswith(('#', '%'))), '')
        cells.append({'index': i, 'id': cell.get('id', ''), 'code': first[:60],
                      'start': _epoch(start), 'end': _epoch(end)})
    if save:                           # after reading the timings: they are for this report
        for cell in nb.cells:
            cell.metadata.pop('execution', None)
        nbformat.write(nb, str(path))
    return {'wall': wall, 'cpu': (after.ru_utime + after.ru_stime)
            - (before.ru_utime + before.ru_stime), 'cells': cells}


def _epoch(stamp):
    return datetime.datetime.fromisoformat(stamp.replace('Z', '+00:00')).timestamp()


def in_child(what, env):
    """Run ``what`` (['reference'] or ['chapter', path, timeout]) in a fresh interpreter."""
    out = subprocess.run([sys.executable, __file__, '--child', json.dumps(what)],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode:
        raise RuntimeError(f'{what} failed:\n{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- what the slow cells trained ---------------------------------------------------------------

def slowest_cells(cells, fits, n=SLOWEST):
    """The ``n`` slowest cells, each with the fits that ran in it grouped by what they
    trained: [{'index', 'id', 'code', 'seconds', 'trained': ['VGG 6,000 images x 3
    epochs, seeds 0 1 2', ...]}]."""
    rows = []
    for cell in sorted(cells, key=lambda c: c['end'] - c['start'], reverse=True)[:n]:
        groups = {}
        for fit in fits:
            if cell['start'] <= fit['start'] <= cell['end']:
                key = (fit['network'], fit['images'], fit['epochs'],
                       'x'.join(map(str, fit['resize'][:1])), fit.get('loaded', False))
                groups.setdefault(key, []).append(fit['seed'])
        trained = []
        for (network, images, epochs, side, loaded), seeds in groups.items():
            images = f'{images:,} images' if isinstance(images, int) else 'images'
            side = f' at {side}px' if side else ''
            verb = 'loaded' if loaded else f'{epochs} epoch{"" if epochs == 1 else "s"}'
            trained.append(f'{len(seeds)} x {network} {images}{side}, {verb}, seeds '
                           f'{" ".join("-" if s is None else str(s) for s in seeds)}')
        rows.append({**{k: cell[k] for k in ('index', 'id', 'code')},
                     'seconds': cell['end'] - cell['start'], 'trained': trained})
    return rows


# -- the tables -----------------------------------------------------------------------------

def budget_here(isa):
    """The wall seconds a chapter may take on this host: ``BUDGET_S`` on an AVX2 (or
    slower) host; on an AVX-512 one, the same number of reference epochs as ``BUDGET_S``
    holds on an AVX2 laptop (``AVX2_SLOWER``)."""
    return BUDGET_S / AVX2_SLOWER if isa == 'AVX-512' else BUDGET_S


def verdict(r, budget):
    """'ok' within ``budget`` wall seconds (``budget_here``); 'over (CPU within)' when only
    the wall time is over (other processes took the cores); else 'over'."""
    if r['wall'] <= budget:
        return 'ok'
    return 'over (CPU within)' if r['cpu'] <= budget else 'over'


def report(results, ref, machine, print_fn=print):
    """Print the per-chapter table and each chapter's slowest cells."""
    budget = budget_here(machine['isa'])
    print_fn(f'reference: one epoch of the book\'s LeNet (60,000 images + 10,000 validated): '
             f'{ref["wall"]:.1f} s wall, {ref["cpu"]:.1f} s CPU; the budget, {BUDGET_S} s on '
             f'a 2-core AVX2 laptop, is {budget / ref["wall"]:.1f} reference epochs: '
             f'{budget:.0f} s here ({machine["isa"]})\n')
    print_fn(f'{"chapter":<16}{"wall":>8}{"cpu":>8}{"wall/ref":>9}  budget {budget:.0f} s')
    for name, r in results.items():
        print_fn(f'{name:<16}{r["wall"]:>7.0f}s{r["cpu"]:>7.0f}s{r["wall"] / ref["wall"]:>9.1f}  '
                 f'{verdict(r, budget)}')
    for name, r in results.items():
        print_fn(f'\n{name}: the {SLOWEST} slowest cells')
        for cell in r['slowest']:
            print_fn(f'  {cell["seconds"]:6.1f}s  cell {cell["index"]:>3} {cell["id"]:<28} '
                     f'{cell["code"]}')
            for line in cell['trained']:
                print_fn(f'{"":>10}{line}')


def readme_rows(results, ref, machine):
    budget = budget_here(machine['isa'])
    rows = {}
    for name, r in results.items():
        top = r['slowest'][0] if r['slowest'] else None
        what = '; '.join(top['trained']) if top and top['trained'] else '-'
        slowest = f'{top["seconds"]:.0f} s: {what}' if top else '-'
        rows[name] = (f'| `{name}.ipynb` | {r["wall"]:.0f} s | {r["cpu"]:.0f} s | '
                      f'{r["wall"] / ref["wall"]:.1f} | {verdict(r, budget)} | {slowest} |')
    return rows


def rewrite_readme(results, ref, machine, path=README):
    """Replace the measured chapters' rows (and the machine sentence) between the markers."""
    text = path.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f'{path} has no {BEGIN} ... {END} block: add the two markers where '
                         f'the time table goes, then run again')
    head, rest = text.split(BEGIN, 1)
    block, tail = rest.split(END, 1)
    old = {m.group(1): m.group(0) for m in re.finditer(r'^\| `(\d\d_\w+)\.ipynb` \|.*$',
                                                       block, re.MULTILINE)}
    old.update(readme_rows(results, ref, machine))
    budget = budget_here(machine['isa'])
    lines = ['', '| notebook | wall | CPU | wall / reference | within budget | slowest cell: '
                 'what it trains |',
             '|---|---|---|---|---|---|', *(old[k] for k in sorted(old)), '',
             f'Measured with `{COMMAND}` on {machine["date"]} ({", ".join(sorted(results))}): '
             f'each chapter alone in a fresh kernel, `{machine["profile"]}` profile, every run '
             f'trained; {machine["cpu"]} ({machine["isa"]}), {machine["cores"]} cores, load '
             f'average {machine["load_start"]:.1f} at the start and {machine["load_end"]:.1f} '
             f'at the end. The reference is one epoch of the book\'s LeNet on all 60,000 '
             f'images ({ref["wall"]:.1f} s wall, {ref["cpu"]:.1f} CPU s here). The budget is '
             f'{BUDGET_S} s on a 2-core AVX2 laptop, where the reference takes '
             f'{AVX2_SLOWER}x as long as on an AVX-512 host (measured for the book\'s LeNet): '
             f'{budget / ref["wall"]:.1f} reference epochs, {budget:.0f} s on this host. '
             f'CPU exceeds wall where runs train side by side on both cores.', '']
    path.write_text(head + BEGIN + '\n'.join(lines) + END + tail)


# -- main -----------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--profile', default='laptop', help='quick | laptop (default) | full')
    parser.add_argument('--only', nargs='*', default=None,
                        help='chapter number prefixes, e.g. 03 06 (default: all)')
    parser.add_argument('--notebooks', default=str(ROOT / 'notebooks'),
                        help='the folder of the chapter notebooks (default: notebooks/)')
    parser.add_argument('--memo', action='store_true',
                        help='load memoised runs instead of training every run')
    parser.add_argument('--timeout', type=int, default=3600, help='seconds per cell')
    parser.add_argument('--readme', action='store_true', help='rewrite README.md\'s table')
    parser.add_argument('--json', help='also write the measurements to this file')
    parser.add_argument('--save', action='store_true',
                        help='write each executed notebook back in place (the timed run is '
                             'then the committed one; run the chapters in dependency order)')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        what = json.loads(args.child)
        result = reference_workload() if what[0] == 'reference' else \
            execute_chapter(Path(what[1]), what[2], save=what[3])
        print(json.dumps(result))
        return 0

    paths = sorted(Path(args.notebooks).glob('[0-9][0-9]_*.ipynb'))
    if args.only:
        paths = [p for p in paths if p.name[:2] in args.only]
    if not paths:
        raise SystemExit(f'no chapter notebook matches --only {args.only} in {args.notebooks}')
    cpu, isa = cpu_info()
    machine = {'cpu': cpu, 'isa': isa, 'cores': os.cpu_count(), 'profile': args.profile,
               'load_start': load(), 'date': datetime.date.today().isoformat()}
    env = dict(os.environ, WEEK5_PROFILE=args.profile, WEEK5_PROGRESS='0',
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    if not args.memo:
        env['WEEK5_RETRAIN'] = '1'
    print(f'bench/chapters.py — profile {args.profile!r}, {cpu} ({isa}), {os.cpu_count()} '
          f'cores, load average {machine["load_start"]:.1f}, '
          f'{"memoised runs loaded" if args.memo else "every run trained"}', flush=True)
    ref = in_child(['reference'], env)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            log = Path(tmp) / f'{path.stem}.jsonl'
            try:
                r = in_child(['chapter', str(path), args.timeout, args.save],
                             dict(env, WEEK5_RUN_LOG=str(log)))
            except RuntimeError as err:             # a cell failed: say so, go on
                print(f'{path.stem}: FAILED, not timed\n{err}', flush=True)
                continue
            fits = [json.loads(line) for line in log.read_text().splitlines()] \
                if log.exists() else []
            results[path.stem] = {'wall': r['wall'], 'cpu': r['cpu'],
                                  'slowest': slowest_cells(r['cells'], fits),
                                  'fits': len(fits)}
            print(f'{path.stem}: {r["wall"]:.0f} s wall, {r["cpu"]:.0f} s CPU, '
                  f'{len(fits)} fits, load {load():.1f}', flush=True)
    machine['load_end'] = load()
    print()
    report(results, ref, machine)
    print(f'\nload average {machine["load_start"]:.1f} at the start, '
          f'{machine["load_end"]:.1f} at the end')
    if args.json:
        Path(args.json).write_text(json.dumps({'machine': machine, 'reference': ref,
                                               'chapters': results}, indent=1))
    if args.readme:
        rewrite_readme(results, ref, machine)
        print(f'README.md: rows of {", ".join(results)} rewritten')
    return 0


if __name__ == '__main__':
    sys.exit(main())
