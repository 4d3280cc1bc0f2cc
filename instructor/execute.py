"""Execute chapter notebooks in place, as the committed ones are executed.

    python -m instructor.execute notebooks/01_lenet.ipynb [...] [--profile laptop]
                                 [--timeout 1800] [--out DIR]

The kernel starts with the slide display on (``week5.png.use_slide_display``: text at
slide size, every figure's PNG records its smallest text, which tests/test_browser_slides.py
reads); it is the kernel's start-up line (``IPKernelApp.exec_lines``), so nothing of the
slide build is in a chapter's code. ``WEEK5_PROFILE`` is set for the kernel from
``--profile``. Execute in dependency order (chapter 06 reads the runs 01-05 keep).
"""
import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

SLIDE_DISPLAY = 'from week5 import png; png.use_slide_display()'
PROFILES = ('quick', 'laptop', 'full')


def execute(path, profile='laptop', timeout=1800, out=None):
    """Execute the notebook at ``path`` in its folder and write it to ``out`` (a folder;
    default: in place); return the written path."""
    if profile not in PROFILES:
        raise ValueError(f'profile must be one of {", ".join(PROFILES)}; got {profile!r}')
    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name='python3',
                            resources={'metadata': {'path': str(path.parent)}},
                            extra_arguments=[f'--IPKernelApp.exec_lines={SLIDE_DISPLAY}'])
    before = os.environ.get('WEEK5_PROFILE')
    os.environ['WEEK5_PROFILE'] = profile        # the kernel inherits this environment
    try:
        client.execute()
    finally:
        if before is None:
            os.environ.pop('WEEK5_PROFILE')
        else:
            os.environ['WEEK5_PROFILE'] = before
    target = Path(out) / path.name if out else path
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(target))
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('notebooks', nargs='+', help='notebooks to execute, in this order')
    parser.add_argument('--profile', default='laptop', choices=PROFILES)
    parser.add_argument('--timeout', type=int, default=1800, help='seconds per cell')
    parser.add_argument('--out', help='folder to write into (default: in place)')
    args = parser.parse_args(argv)
    for nb in args.notebooks:
        print(f'executed {execute(nb, args.profile, args.timeout, args.out)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
