"""What training the seeds of an experiment side by side saves (run by hand).

Trains the same runs twice in this run: one after the other in this process
(``WEEK5_SIDE_BY_SIDE=1``), then side by side in worker processes (``week5.sidebyside``,
workers' start-up included), every run trained, and prints both wall times, their ratio,
the CPU's instruction set and the load. The runs are an experiment's: one network's
laptop recipe at several seeds (LeNet: the modern one, ReLU and max pooling). The
default is the size of chapter 1's experiment: 4 LeNet runs of 2 epochs on all 60,000
images (the chapter trains 12).

    .venv/bin/python bench/sidebyside.py                          # 4 LeNet runs
    .venv/bin/python bench/sidebyside.py --network alexnet --runs 3 --images 6000
    .venv/bin/python bench/sidebyside.py --processes 2

Other processes on the machine take the second core the workers need: the ratio means
something only on an idle machine (the load is printed at the start and the end).
"""
import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--network', default='lenet', help='registry name (default lenet)')
    parser.add_argument('--runs', type=int, default=4, help='seeds 0 .. runs-1 (default 4)')
    parser.add_argument('--images', type=int, default=60000, help='training images per run')
    parser.add_argument('--epochs', type=int, default=2)
    parser.add_argument('--processes', type=int, default=None,
                        help='runs at once (default: week5.sidebyside.workers())')
    args = parser.parse_args(argv)

    from week5.profiles import get_profile
    from week5.runtime import cpu_info
    from week5.sidebyside import Job, fit_all, workers
    modern = dict(activation='relu', pool='max') if args.network == 'lenet' else {}
    recipe = get_profile('laptop').recipe(args.network, num_train=args.images,
                                          num_epochs=args.epochs, **modern)
    jobs = [Job(recipe.replace(seed=seed), f'seed {seed}') for seed in range(args.runs)]
    recipe.data()                                 # reading the data is not the workload
    n = workers(args.processes)
    cpu, isa = cpu_info()
    print(f'bench/sidebyside.py: {args.runs} x {args.network}, {args.images:,} images x '
          f'{args.epochs} epoch(s); {cpu} ({isa}), {os.cpu_count()} cores, load '
          f'{os.getloadavg()[0]:.1f}', flush=True)
    times = {}
    for label, processes in (('one after the other', 1), (f'side by side ({n} at a time)', n)):
        start, cpu0 = time.perf_counter(), time.process_time()
        runs = fit_all(jobs, retrain=True, processes=processes, min_work=0,
                       print_fn=lambda *_: None)
        times[label] = time.perf_counter() - start
        accs = ' '.join(f'{r.final("val_acc"):.3f}' for r in runs)
        print(f'{label:<28} {times[label]:7.1f} s wall  ({time.process_time() - cpu0:.1f} s '
              f'CPU in this process)  val acc {accs}', flush=True)
    first, second = times.values()
    print(f'side by side takes {second / first:.2f} of the time one after the other takes '
          f'({first / second:.2f}x faster); load {os.getloadavg()[0]:.1f} at the end')
    return 0


if __name__ == '__main__':
    sys.exit(main())
