"""The TrainingLab in a real browser: JupyterLab on 127.0.0.1, Debian's Chromium driven by
Playwright, at 1280x720 with JupyterLab's file browser open (a laptop projector). Opens a
notebook with the panel, runs it, clicks Train, sees the filter image change at least
twice during training, checks that no picture is wider than its column (no horizontal
scrollbar in the output), clicks Stop, saves screenshots (while training and at the end)
to artifacts/.

Skipped when /usr/bin/chromium is missing, except in CI (CI=true), where it fails.
"""
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

CHROMIUM = '/usr/bin/chromium'
ARTIFACTS = Path(__file__).resolve().parents[1] / 'artifacts'
IN_CI = os.environ.get('CI', '').lower() == 'true'

# a long enough run (8,192 images x 10 epochs) that Stop arrives while it trains
LAB_CELL = """\
from week5.lab import TrainingLab
lab = TrainingLab('lenet', profile='quick', num_train=8192, num_epochs=10)
lab"""


def _need(condition, reason):
    if not condition:
        if IN_CI:
            pytest.fail(f'{reason} (required in CI)')
        pytest.skip(reason)


@contextlib.contextmanager
def chromium_page(screenshot=None):
    """A page of Debian's Chromium driven by Playwright at 1280x720 (skipped when either
    is missing, except in CI); ``screenshot``: a path under artifacts/ written at the end,
    whatever happened."""
    _need(Path(CHROMIUM).exists(), f'{CHROMIUM} is missing (apt-get install chromium)')
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, 'the playwright package is not installed')
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'])
        page = browser.new_page(viewport={'width': 1280, 'height': 720})
        try:
            yield page
        finally:
            if screenshot:
                page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
            browser.close()


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _notebook(source):
    return {
        'cells': [{'cell_type': 'code', 'execution_count': None, 'id': 'lab-cell',
                   'metadata': {}, 'outputs': [], 'source': source}],
        'metadata': {'kernelspec': {'display_name': 'Python 3', 'language': 'python',
                                    'name': 'python3'},
                     'language_info': {'name': 'python'}},
        'nbformat': 4, 'nbformat_minor': 5,
    }


def _write_settings(settings_dir):
    """User settings: no virtual scrolling of cells (jupyterlab #15330), no news."""
    files = {
        '@jupyterlab/notebook-extension/tracker.jupyterlab-settings':
            {'windowingMode': 'none'},
        '@jupyterlab/apputils-extension/notification.jupyterlab-settings':
            {'fetchNews': 'false', 'checkForUpdates': False},
    }
    for name, content in files.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content))


@pytest.fixture
def jupyter_lab(tmp_path):
    """A JupyterLab server in a temp dir, isolated from the user's Jupyter config."""
    root = tmp_path / 'work'
    root.mkdir()
    (root / 'lab.ipynb').write_text(json.dumps(_notebook(LAB_CELL)))
    _write_settings(tmp_path / 'user-settings')
    port, token = _free_port(), 'week5-browser-test'
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(tmp_path / 'config'),
               JUPYTER_DATA_DIR=str(tmp_path / 'data'),
               JUPYTER_RUNTIME_DIR=str(tmp_path / 'runtime'),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / 'user-settings'),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / 'workspaces'),
               WEEK5_HEADLESS='0',          # a real frontend is attached
               WEEK5_PROGRESS='0')
    log = open(tmp_path / 'jupyter.log', 'w')
    proc = subprocess.Popen(
        [sys.executable, '-m', 'jupyterlab', '--no-browser', f'--port={port}',
         '--ServerApp.ip=127.0.0.1', f'--IdentityProvider.token={token}',
         f'--ServerApp.root_dir={root}', '--ServerApp.port_retries=0',
         '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate']
        + (['--allow-root'] if hasattr(os, 'geteuid') and os.geteuid() == 0 else []),
        env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f'{base}/api/status?token={token}', timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError('JupyterLab did not start:\n'
                                       + (tmp_path / 'jupyter.log').read_text()[-3000:])
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_train_and_stop_in_jupyterlab(jupyter_lab):
    base, token = jupyter_lab
    with chromium_page(screenshot='browser_lab.png') as page:
        _drive(page, base, token)


# pictures wider than the output column, and outputs that scroll sideways
_OVERFLOW = """() => {
  const out = document.querySelector('.week5-status').closest('.jp-OutputArea-output');
  const box = out.getBoundingClientRect();
  const bad = [];
  for (const img of out.querySelectorAll('img')) {
    const r = img.getBoundingClientRect();
    if (r.right > box.right + 1) bad.push(`${img.className} ends at ${r.right} > ${box.right}`);
  }
  for (const el of [out, ...out.querySelectorAll('.widget-box')]) {
    if (el.scrollWidth > el.clientWidth + 1)
      bad.push(`${el.className} scrolls: ${el.scrollWidth} > ${el.clientWidth}`);
  }
  return bad;
}"""


def _names_a_measure(status):
    """The live status names each measure: a running epoch mean, or a finished epoch."""
    return 'epoch mean so far' in status or ' done, ' in status


def _drive(page, base, token):
    page.goto(f'{base}/lab/tree/lab.ipynb?token={token}', timeout=120_000)
    page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=120_000)
    # wait until the kernel is connected and idle, then run the first cell
    page.get_by_text('Python 3 (ipykernel) | Idle').wait_for(timeout=120_000)
    if not page.locator('.jp-FileBrowser').is_visible():     # the sidebar open, as usual
        page.click('.jp-SideBar.jp-mod-left li[data-id="filebrowser"]')
    page.locator('.jp-FileBrowser').wait_for(state='visible', timeout=30_000)
    page.click('.jp-Notebook .jp-Cell .jp-InputArea-editor')
    page.keyboard.press('Control+Enter')
    train = page.locator('button.jupyter-button', has_text='Train')
    train.wait_for(timeout=120_000)
    status = page.locator('.week5-status')
    filters = page.locator('img.week5-filters')
    filters.wait_for(timeout=30_000)
    before = filters.get_attribute('src')
    page.screenshot(path=str(ARTIFACTS / 'browser_lab_start.png'))   # the first screen
    assert 'Before the first run' in page.locator('.week5-first').inner_text()

    train.click()
    # Wait for what the test needs to see (the placeholder + 2 filter changes, and a status
    # line that names its measures), not for a time: the first batch's status may come
    # before any metric on a fast machine. The deadline only bounds a hung run.
    seen, deadline = [before], time.time() + 240
    while time.time() < deadline:
        src, text = filters.get_attribute('src'), status.inner_text()
        if src != seen[-1]:
            seen.append(src)
        if any(word in text for word in ('Not started', 'failed', 'Finished')):
            break
        if len(seen) >= 3 and _names_a_measure(text):
            break
        page.wait_for_timeout(100)
    text = status.inner_text()
    assert len(seen) >= 3, f'the filter image changed {len(seen) - 1} times; status: {text}'
    assert 'Run #1' in text and 'Finished' not in text, text   # still training
    assert _names_a_measure(text), text
    page.locator('img.week5-curves').scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / 'browser_lab_training.png'))
    overflow = page.evaluate(_OVERFLOW)
    assert not overflow, f'wider than their column at 1280x720: {overflow}'

    page.locator('button.jupyter-button', has_text='Stop').click()
    page.wait_for_function(
        "() => document.querySelector('.week5-status').innerText.includes('Stopped')",
        timeout=60_000)
    assert 'Stopped' in status.inner_text()
