"""A real browser opens a deck from disk with the network cut off.

Debian's Chromium (`apt-get install chromium`) driven by playwright: every request that is
not file:// or data: is aborted and recorded, and the test fails if any was made. Without
/usr/bin/chromium the test is skipped, except in CI (CI=true), where it fails.
Screenshots go to artifacts/.
"""
import os
from pathlib import Path

import pytest

from week5 import slides

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path('/usr/bin/chromium')
ARTIFACTS = ROOT / 'artifacts'
FIXTURE_DIR = ROOT / 'tests' / 'fixtures' / 'deck'
CHAPTER = ROOT / 'notebooks' / '01_lenet.ipynb'


def _need_chromium():
    if CHROMIUM.exists():
        return
    if os.environ.get('CI') == 'true':
        pytest.fail('CI must install Debian chromium for the browser tests (apt-get install chromium)')
    pytest.skip('needs /usr/bin/chromium (apt-get install chromium)')


@pytest.fixture(scope='module')
def browser():
    _need_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
            proxy={'server': 'http://127.0.0.1:9'})  # nowhere, should anything slip past the route
        yield browser
        browser.close()


def open_offline(browser, deck):
    """Open ``deck`` with the network cut off; (page, remote requests, console errors)."""
    context = browser.new_context(viewport={'width': 1280, 'height': 800})
    remote, errors = [], []

    def route(r):
        url = r.request.url
        if url.startswith(('file:', 'data:')):
            r.continue_()
        else:
            remote.append(url)
            r.abort()

    context.route('**/*', route)
    page = context.new_page()
    page.on('request', lambda req: None if req.url.startswith(('file:', 'data:'))
            else remote.append(req.url))
    page.on('console', lambda msg: errors.append(msg.text) if msg.type == 'error' else None)
    page.on('pageerror', lambda exc: errors.append(str(exc)))
    page.goto(deck.as_uri())
    # nbconvert's template loads reveal.js through require.js, so there is no global
    # Reveal: fetch the module (already loaded) and keep it as window.Reveal for the checks.
    page.wait_for_function("document.querySelector('.reveal.ready') !== null", timeout=90000)
    page.evaluate("new Promise(done => require(['reveal.js/dist/reveal.js'], "
                  "R => { window.Reveal = R; done(); }))")
    assert page.evaluate('Reveal.isReady()')
    return page, remote, errors


def check_deck(browser, deck, name):
    page, remote, errors = open_offline(browser, deck)
    assert page.evaluate("document.querySelectorAll('.reveal .slides section').length") > 0
    total = page.evaluate('Reveal.getTotalSlides()')
    assert total > 1
    page.mouse.click(640, 400)  # focus the page (a click on a slide does not navigate)
    start = page.evaluate('JSON.stringify(Reveal.getIndices())')
    page.keyboard.press('ArrowRight')  # the next fragment or slide
    page.wait_for_function(f"JSON.stringify(Reveal.getIndices()) !== '{start}'", timeout=30000)
    page.keyboard.press('End')
    page.wait_for_function('Reveal.getIndices().h === Reveal.getHorizontalSlides().length - 1',
                           timeout=30000)
    page.keyboard.press('Home')
    page.wait_for_function('Reveal.getIndices().h === 0', timeout=30000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f'slides-{name}.png'))
    # the speaker-notes plugin is local and registered
    assert page.evaluate("Reveal.hasPlugin('notes')")
    return page, remote, errors, total


def test_fixture_deck_offline(browser, tmp_path):
    [deck] = slides.build_slides(FIXTURE_DIR, tmp_path, log=lambda m: None)
    page, remote, errors, total = check_deck(browser, deck, 'fixture')
    assert remote == []
    assert errors == []
    assert total == 6
    # MathJax (local copy) typeset the formula on the first slide
    page.wait_for_function("document.querySelector('.MathJax_CHTML') !== null", timeout=90000)
    # the widget panel's last frame is a real, decoded picture
    width = page.evaluate("document.querySelector('[id=\"cell-id=panel\"] img').naturalWidth")
    assert width > 100
    # speaker view opens from disk too
    with page.context.expect_page(timeout=60000) as popup_info:
        page.keyboard.press('s')
    popup = popup_info.value
    popup.wait_for_selector('.speaker-controls-notes', timeout=60000)
    popup.wait_for_function("document.querySelector('.speaker-controls-notes .value')"
                            ".textContent.includes('Speaker note')", timeout=60000)
    popup.screenshot(path=str(ARTIFACTS / 'slides-fixture-speaker-view.png'))
    assert remote == []


def test_chapter_deck_offline(browser, tmp_path):
    if not CHAPTER.exists():
        pytest.skip(f'{CHAPTER.name} not written yet')
    [deck] = slides.build_slides(CHAPTER.parent, tmp_path, names=[CHAPTER.stem], log=lambda m: None)
    page, remote, errors, total = check_deck(browser, deck, CHAPTER.stem)
    assert remote == []
    assert errors == []
    assert total >= 6
