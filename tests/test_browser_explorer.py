"""The convolution explorer in a real browser (JupyterLab + Debian's Chromium driven by
Playwright at 1280x720, as tests/test_browser_lab.py runs them): run the panel, change
the stride and then the padding by typing into the sliders' readouts, and see the
picture (the window and the output grid) change each time. Screenshots go to
artifacts/browser_explorer_*.png.

Skipped when /usr/bin/chromium is missing, except in CI (CI=true), where it fails.
"""
import json
import time

import pytest

from test_browser_lab import ARTIFACTS, _notebook, chromium_page, jupyter_lab  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

EXPLORER_CELL = """\
from week5 import profiles
from week5.lab import ConvolutionExplorer
model, data, trainer = profiles.get_profile('quick').recipe('lenet').build(progress=False,
                                                                            board=False)
trainer.fit(model, data)
explorer = ConvolutionExplorer(model, data)        # the output position starts in the middle
explorer"""


def _set_slider(page, name, value):
    readout = page.locator(f'.week5-conv-{name} .widget-readout')
    readout.click()
    page.keyboard.press('Control+A')
    page.keyboard.type(str(value))
    page.keyboard.press('Enter')


def _wait_for_new_picture(page, picture, old, what):
    deadline = time.time() + 60           # bounds a hung kernel only
    while time.time() < deadline:
        src = picture.get_attribute('src')
        if src != old:
            return src
        page.wait_for_timeout(100)
    raise AssertionError(f'the explorer picture did not change after {what}')


def test_explorer_follows_stride_and_padding(jupyter_lab, tmp_path):  # noqa: F811
    base, token = jupyter_lab
    (tmp_path / 'work' / 'explorer.ipynb').write_text(json.dumps(_notebook(EXPLORER_CELL)))
    with chromium_page(screenshot='browser_explorer.png') as page:
        page.goto(f'{base}/lab/tree/explorer.ipynb?token={token}', timeout=120_000)
        page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=120_000)
        page.get_by_text('Python 3 (ipykernel) | Idle').wait_for(timeout=120_000)
        page.click('.jp-Notebook .jp-Cell .jp-InputArea-editor')
        page.keyboard.press('Control+Enter')
        picture = page.locator('img.week5-conv-explorer')
        picture.wait_for(timeout=120_000)
        picture.scroll_into_view_if_needed()
        first = picture.get_attribute('src')
        page.screenshot(path=str(ARTIFACTS / 'browser_explorer_start.png'))

        _set_slider(page, 'stride', 3)
        strided = _wait_for_new_picture(page, picture, first, 'stride 3')
        page.screenshot(path=str(ARTIFACTS / 'browser_explorer_stride.png'))
        _set_slider(page, 'padding', 0)
        _wait_for_new_picture(page, picture, strided, 'padding 0')
        page.screenshot(path=str(ARTIFACTS / 'browser_explorer_padding.png'))

        readouts = {name: page.locator(f'.week5-conv-{name} .widget-readout').inner_text()
                    for name in ('stride', 'padding', 'row')}
        # 28x28, k=5, s=3, p=0: floor(23 / 3) + 1 = 8 outputs, so the middle row 14 moved to 7
        assert readouts == {'stride': '3', 'padding': '0', 'row': '7'}, readouts
        width = page.evaluate("""() => {
            const img = document.querySelector('img.week5-conv-explorer');
            const out = img.closest('.jp-OutputArea-output');
            return [img.getBoundingClientRect().right, out.getBoundingClientRect().right];
        }""")
        assert width[0] <= width[1] + 1, f'the picture is wider than its column: {width}'
