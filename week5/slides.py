"""Build offline reveal.js slide decks of the chapter notebooks.

    python -m week5.slides [NAME ...] [--notebooks notebooks/] [--out slides/]

(`make slides` runs it.) Each notebook becomes ``slides/<name>.slides.html`` through
nbconvert's SlidesExporter (what ``jupyter nbconvert --to slides`` runs), and
``slides/index.html`` lists the decks. The folder is self-contained: reveal.js (with its
speaker-notes plugin), require.js, jQuery and MathJax are copied beside the decks from
npm packages pinned in ``VENDOR_PACKAGES``, so the slides open from disk (``file://``)
with no network, e.g. from a USB stick in a lecture hall.

nbconvert's reveal template would otherwise fetch reveal.js from unpkg, require.js,
jQuery and MathJax from cdnjs, always imports mermaid from cdnjs, and loads the
ipywidgets renderer from unpkg when a notebook saved widget state. Here the first four
point at the local copies and the last two are left out of the template
(``TEMPLATE``). Live widgets cannot run in a static deck: ``WidgetFallback`` replaces each
widget view by the last image its Image / Output widgets held, or drops it when the cell
already shows a static figure, so a slide never shows an empty box or widget text.

The npm packages are installed once into ``build/slides-vendor`` (``npm`` must be on
PATH that first time; ``WEEK5_SLIDES_VENDOR`` points elsewhere), then reused offline.
"""
import argparse
import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from nbconvert.preprocessors import Preprocessor

from .results import MIME as RECORD

__all__ = ['VENDOR_PACKAGES', 'WidgetFallback', 'ReadableFigures', 'ensure_vendor', 'copy_assets',
           'export_deck', 'build_slides', 'main']

REPO_ROOT = Path(__file__).resolve().parents[1]
# reveal.js 4: the major version nbconvert 7's reveal template is written for (its default
# is unpkg's reveal.js@4.0.2; it loads dist/reveal.js, dist/reveal.css,
# dist/theme/<theme>.css and plugin/notes/notes.js through require.js). MathJax 2: the
# template calls MathJax.Hub (the MathJax 2 API). jQuery 2: the template's default.
VENDOR_PACKAGES = {'reveal.js': '4.6.1', 'requirejs': '2.3.8', 'jquery': '2.2.4',
                   'mathjax': '2.7.9'}
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'
WIDGET_STATE = 'application/vnd.jupyter.widget-state+json'
STATIC_IMAGES = ('image/png', 'image/jpeg', 'image/svg+xml')
MATHJAX_CONFIG = 'TeX-AMS_CHTML-full,Safe'
# What MathJax 2 needs for that configuration (CommonHTML output, TeX input, TeX fonts).
MATHJAX_FILES = ('MathJax.js', 'LICENSE', 'config/TeX-AMS_CHTML-full.js', 'config/Safe.js',
                 'extensions', 'jax/input/TeX', 'jax/output/CommonHTML', 'jax/element',
                 'fonts/HTML-CSS/TeX/woff', 'fonts/HTML-CSS/TeX/otf', 'localization/en')

# nbconvert's reveal template minus the two resources that always come from a CDN, plus
# what makes every slide fit the screen (a 1280x720 projector included):
# - CSS: no In/Out prompts (their column is better spent on code), code and outputs
#   inside the slide's width, code lines wrapped rather than cut off, text outputs
#   wrapped only between words (never `break-all`), pictures scaled to the slide at
#   their own aspect ratio, table cells on one line, and no scroll bars inside cells
#   (nobody scrolls a projected slide: what overflows must count as overflow);
# - FIT_SCRIPT: a slide whose content is still taller or wider than the slide (reveal's
#   `height` x `width`) is scaled down as a whole, so that nothing is cut off. Code
#   lines and text outputs that are tables (columns aligned by runs of spaces) are not
#   wrapped: the slide shrinks instead, unless it would shrink below MIN_SCALE; then
#   they wrap too (class `week5-wrap`). Each slide carries `data-week5-scale`; below
#   MIN_SCALE the content itself should be split into sub-slides.
FIT_CSS = """
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt { display: none; }
.reveal .jp-Cell pre { box-sizing: border-box; max-width: 100%; margin: 0; }
.reveal .jp-InputArea { width: max-content; min-width: 100%; }
.reveal .week5-wrap .jp-InputArea { width: auto; }
.reveal .jp-InputArea-editor pre { white-space: pre; }
.reveal .week5-wrap .jp-InputArea-editor pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.reveal .week5-wrap .jp-OutputArea-output pre.week5-table { white-space: pre-wrap; }
.reveal .jp-OutputArea-output pre { white-space: pre-wrap; word-break: normal;
                                    overflow-wrap: normal; }
.reveal .jp-OutputArea-output pre.week5-table { white-space: pre; }
.reveal .jp-OutputArea-output pre.week5-table .week5-prose { white-space: pre-wrap; }
.reveal .jp-Cell, .reveal .jp-Cell * { overflow: visible !important; }
.reveal .jp-OutputArea-output img, .reveal .jp-RenderedMarkdown img {
  max-width: 100%; height: auto; margin: 0.2em 0; object-fit: contain; }
.reveal table { word-break: normal; overflow-wrap: normal; }
.reveal th, .reveal td { white-space: nowrap; }
"""
FIT_SCRIPT = """
require(["{{ reveal_url_prefix }}/dist/reveal.js"], function (Reveal) {
  var TABLE_ROW = /\\S {2,}\\S|^[-=+| ]{3,}$/;
  var MIN_SCALE = {{ min_scale }};
  function markTables(box) {
    // a text output whose lines are mostly table rows keeps its columns: no wrapping
    // (the slide shrinks instead), except for its lines that are not rows
    box.querySelectorAll('.jp-OutputArea-output pre').forEach(function (pre) {
      var lines = pre.textContent.split('\\n');
      var full = lines.filter(function (l) { return l.trim(); });
      var rows = full.filter(function (l) { return TABLE_ROW.test(l); }).length;
      if (rows < 2 || rows < 0.6 * full.length) { return; }
      pre.classList.add('week5-table');
      if (pre.children.length) { return; }          // coloured output: leave it alone
      pre.textContent = '';
      lines.forEach(function (line, i) {
        var part = document.createElement('span');
        if (line.trim() && !TABLE_ROW.test(line)) { part.className = 'week5-prose'; }
        part.textContent = line + (i < lines.length - 1 ? '\\n' : '');
        pre.appendChild(part);
      });
    });
  }
  function fit(section, width, height) {
    var box = section.querySelector(':scope > .week5-fit');
    if (!box) {
      box = document.createElement('div');
      box.className = 'week5-fit';
      while (section.firstChild) box.appendChild(section.firstChild);
      section.appendChild(box);
      markTables(box);
    }
    box.style.transform = box.style.marginBottom = '';
    box.classList.remove('week5-wrap');
    var style = getComputedStyle(section);
    var h = height - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    var w = section.clientWidth || width;
    var needH, needW, scale;
    function measure() {
      needH = box.scrollHeight;
      needW = Math.max(box.scrollWidth, box.clientWidth);
      scale = Math.min(1, h / needH, w / needW);
    }
    measure();
    if (scale < MIN_SCALE) {   // too small to read: wrap long code lines and tables
      box.classList.add('week5-wrap');
      measure();
    }
    if (scale < 0.999) {       // shrink about the top left corner, then centre
      box.style.transformOrigin = '0 0';
      box.style.transform = 'translateX(' + (w - needW * scale) / 2 + 'px) scale(' + scale + ')';
      box.style.marginBottom = -needH * (1 - scale) + 'px';   // the height it now takes
    }
    section.setAttribute('data-week5-scale', scale.toFixed(3));
  }
  function fitAll() {
    var config = Reveal.getConfig();
    document.querySelectorAll('.reveal .slides section').forEach(function (s) {
      if (!s.querySelector('section') && getComputedStyle(s).display !== 'none') {
        fit(s, config.width, config.height);
      }
    });
    Reveal.layout();
  }
  function fitSoon() {
    fitAll();
    if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(fitAll); }
  }
  window.week5FitSlides = fitAll;
  Reveal.on('ready', fitSoon);
  Reveal.on('slidechanged', fitSoon);
  Reveal.on('resize', fitAll);
  document.querySelectorAll('.reveal img').forEach(function (img) {
    if (!img.complete) { img.addEventListener('load', fitAll); }
  });
  if (Reveal.isReady()) { fitSoon(); }
});
"""
MIN_SCALE = 0.6
# The slide in CSS pixels. reveal.js scales it to the window less a 4% margin: at
# 1280x720 (a projector) by min(1228.8 / 1200, 691.2 / 680) = 1.016, so a 19 px code line
# is 19.3 px on the screen and 18 px text stays 18 px (the back-row minimum,
# tests/test_browser_slides.py). Wide enough for a 79-character code line at 19 px.
SLIDE_WIDTH, SLIDE_HEIGHT = 1200, 680
TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block html_head_css %}
<style>""" + FIT_CSS + """</style>
{% endblock html_head_css %}
{% block footer_js %}
{{ super() }}
<script>""" + FIT_SCRIPT.replace('{{ min_scale }}', str(MIN_SCALE)) + """</script>
{% endblock footer_js %}
"""
TEMPLATE_NAME = 'week5_offline_reveal.html.j2'


# ---------------------------------------------------------------- widgets -> static images

def _widget_images(model_id, state, seen=None):
    """PNG/JPEG bytes (base64 text) shown by a widget and its children, in display order."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    model = state[model_id]
    props = model.get('state', {})
    images = []
    if props.get('_model_name', model.get('model_name')) == 'ImageModel':
        fmt = props.get('format', 'png')
        data = next((b.get('data') for b in model.get('buffers', [])
                     if b.get('path') == ['value']), None)
        if data is None and isinstance(props.get('value'), str):
            data = props['value']
        if data and fmt in ('png', 'jpeg', 'jpg'):
            images.append(('image/png' if fmt == 'png' else 'image/jpeg', data))
    for out in props.get('outputs', []) or []:  # an Output widget's captured outputs
        for mime in ('image/png', 'image/jpeg'):
            if mime in out.get('data', {}):
                images.append((mime, out['data'][mime]))
    for child in _child_ids(props):
        images.extend(_widget_images(child, state, seen))
    return images


def _child_ids(props):
    refs = []
    for key in ('children', 'child'):
        value = props.get(key)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v.startswith('IPY_MODEL_'):
                refs.append(v[len('IPY_MODEL_'):])
    return refs


def _image_output(mime, data):
    import nbformat
    data = data if isinstance(data, str) else base64.b64encode(bytes(data)).decode()
    return nbformat.v4.new_output('display_data', data={mime: data})


def _static_fallback(nb):
    """Replace widget views in ``nb`` (in place) by static images; drop the saved state
    and the records (week5/results.py: numbers for the text, nothing to show)."""
    state = nb.metadata.get('widgets', {}).get(WIDGET_STATE, {}).get('state', {})
    for cell in nb.cells:
        if cell.cell_type != 'code':
            continue
        has_static = any(WIDGET_VIEW not in o.get('data', {}) and
                         any(m in o.get('data', {}) for m in STATIC_IMAGES) for o in cell.outputs)
        outputs = []
        for out in cell.outputs:
            data = out.get('data', {})
            if data and set(data) <= {RECORD}:
                continue
            if WIDGET_VIEW not in data:
                outputs.append(out)
                continue
            own = [m for m in STATIC_IMAGES if m in data]  # a bundle with its own picture
            if own:
                outputs.append(_image_output(own[0], data[own[0]]))
            elif not has_static:
                images = _widget_images(data[WIDGET_VIEW].get('model_id'), state)
                if images:
                    outputs.extend(_image_output(m, d) for m, d in images)
            # otherwise drop it: the cell's static figure already says it
        cell.outputs = outputs
    nb.metadata.pop('widgets', None)
    return nb


class WidgetFallback(Preprocessor):
    """nbconvert preprocessor: widget views become their last static image (or vanish)."""

    def preprocess(self, nb, resources):
        return _static_fallback(nb), resources


# ---------------------------------------------------------------- figures: readable text
TEXT_SIZE_KEY = 'week5:min-text-px'   # what week5.viz records in the PNGs it draws
READABLE_PX = 18.2                    # CSS px of a figure's smallest text on a slide
CONTENT_WIDTH = SLIDE_WIDTH - 40      # the widest a picture is shown (reveal's padding)


def png_text_size(png):
    """The smallest text of a PNG drawn by week5.viz, in its own pixels (None: not
    recorded, 0.0: no text), from its tEXt chunk."""
    at = 8
    while at + 8 <= len(png):
        length = int.from_bytes(png[at:at + 4], 'big')
        kind = png[at + 4:at + 8]
        if kind == b'tEXt':
            key, _, value = png[at + 8:at + 8 + length].partition(b'\0')
            if key.decode('latin-1') == TEXT_SIZE_KEY:
                value = value.decode('latin-1')
                return 0.0 if value == 'none' else float(value)
        if kind in (b'IDAT', b'IEND'):
            return None
        at += 12 + length
    return None


class ReadableFigures(Preprocessor):
    """nbconvert preprocessor: a picture whose smallest text would be under READABLE_PX
    at its own size is shown wider (an ``width`` in its output metadata), up to the
    slide's width, so that its text is readable from the back row."""

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get('outputs', []):
            data = out.get('data', {}).get('image/png')
            if not data:
                continue
            png = base64.b64decode(data if isinstance(data, str) else ''.join(data))
            px = png_text_size(png)
            if not px or px >= READABLE_PX:
                continue
            natural = int.from_bytes(png[16:20], 'big')
            meta = out.setdefault('metadata', {}).setdefault('image/png', {})
            meta['width'] = min(CONTENT_WIDTH, int(natural * READABLE_PX / px + 1))
            meta.pop('height', None)
        return cell, resources


# ---------------------------------------------------------------- vendored JavaScript

def default_vendor_dir():
    return Path(os.environ.get('WEEK5_SLIDES_VENDOR', REPO_ROOT / 'build' / 'slides-vendor'))


def _installed_version(vendor, package):
    try:
        meta = json.loads((vendor / 'node_modules' / package / 'package.json').read_text())
    except (OSError, ValueError):
        return None
    return meta.get('version')


def ensure_vendor(vendor=None, npm='npm'):
    """The node_modules folder holding VENDOR_PACKAGES, installing them with npm if needed."""
    vendor = Path(vendor) if vendor is not None else default_vendor_dir()
    missing = [f'{p}@{v}' for p, v in VENDOR_PACKAGES.items() if _installed_version(vendor, p) != v]
    if not missing:
        return vendor / 'node_modules'
    if shutil.which(npm) is None:
        raise RuntimeError(
            f'npm is needed once to install {", ".join(missing)} into {vendor} (the slides '
            'ship their own reveal.js): install Node.js/npm (e.g. `sudo apt-get install npm`), '
            'or copy a prepared build/slides-vendor folder and set WEEK5_SLIDES_VENDOR to it')
    vendor.mkdir(parents=True, exist_ok=True)
    cmd = [npm, 'install', '--prefix', str(vendor), '--no-save', '--no-package-lock',
           '--no-audit', '--no-fund', '--loglevel=error',
           *[f'{p}@{v}' for p, v in VENDOR_PACKAGES.items()]]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    still = [p for p, v in VENDOR_PACKAGES.items() if _installed_version(vendor, p) != v]
    if proc.returncode != 0 or still:
        raise RuntimeError(f'`{" ".join(cmd)}` failed:\n{proc.stderr.strip()[-2000:]}')
    return vendor / 'node_modules'


def _copy(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True)
    else:
        shutil.copy2(src, dst)


def copy_assets(node_modules, out):
    """Copy what the decks load into ``out``: reveal.js/, vendor/require.js, jQuery, MathJax."""
    node_modules, out = Path(node_modules), Path(out)
    reveal = node_modules / 'reveal.js'
    for part in ('dist', 'plugin/notes', 'LICENSE'):
        _copy(reveal / part, out / 'reveal.js' / part)
    _copy(node_modules / 'requirejs' / 'require.js', out / 'vendor' / 'require.js')
    _copy(node_modules / 'jquery' / 'dist' / 'jquery.min.js', out / 'vendor' / 'jquery.min.js')
    for part in MATHJAX_FILES:
        _copy(node_modules / 'mathjax' / part, out / 'vendor' / 'mathjax' / part)


def _check_theme(out, theme):
    css = out / 'reveal.js' / 'dist' / 'theme' / f'{theme}.css'
    themes = sorted(p.stem for p in css.parent.glob('*.css'))
    if not css.is_file():
        raise ValueError(f'theme {theme!r} is not a reveal.js theme: choose one of {", ".join(themes)}')
    if re.search(r'@import\s+url\(\s*["\']?https?:', css.read_text(encoding='utf-8')):
        offline = [t for t in themes if not re.search(
            r'@import\s+url\(\s*["\']?https?:', (css.parent / f'{t}.css').read_text(encoding='utf-8'))]
        raise ValueError(f'theme {theme!r} loads its fonts from the network: choose an offline '
                         f'one: {", ".join(offline)}')


# ---------------------------------------------------------------- decks

def notebook_title(nb, default):
    """The first Markdown heading of a notebook, without the #s."""
    for cell in nb.cells:
        if cell.cell_type == 'markdown':
            m = re.search(r'^#+\s+(.+?)\s*#*\s*$', cell.source, re.MULTILINE)
            if m:
                return m.group(1)
    return default


def _exporter(theme):
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter
    from traitlets.config import Config
    c = Config()
    c.SlidesExporter.reveal_url_prefix = 'reveal.js'
    c.SlidesExporter.reveal_theme = theme
    c.SlidesExporter.reveal_scroll = False  # a slide taller than the screen is scaled
                                            # to fit it instead (FIT_SCRIPT)
    c.SlidesExporter.reveal_width = str(SLIDE_WIDTH)
    c.SlidesExporter.reveal_height = str(SLIDE_HEIGHT)
    c.SlidesExporter.require_js_url = 'vendor/require.js'
    c.SlidesExporter.jquery_url = 'vendor/jquery.min.js'
    c.SlidesExporter.mathjax_url = f'vendor/mathjax/MathJax.js?config={MATHJAX_CONFIG}'
    exporter = SlidesExporter(config=c, extra_loaders=[DictLoader({TEMPLATE_NAME: TEMPLATE})],
                              template_file=TEMPLATE_NAME)
    exporter.register_preprocessor(WidgetFallback(), enabled=True)
    exporter.register_preprocessor(ReadableFigures(), enabled=True)
    return exporter


def export_deck(notebook, out, theme='white', exporter=None):
    """Write ``out/<stem>.slides.html`` for one notebook; returns (path, title)."""
    import nbformat
    notebook, out = Path(notebook), Path(out)
    nb = nbformat.read(str(notebook), as_version=4)
    title = notebook_title(nb, notebook.stem)
    nb.metadata['title'] = title
    exporter = exporter or _exporter(theme)
    body, _ = exporter.from_notebook_node(nb, resources={'metadata': {'name': notebook.stem}})
    path = out / f'{notebook.stem}.slides.html'
    path.write_text(body, encoding='utf-8')
    return path, title


REMOTE_LOAD_RE = re.compile(
    r'<(?:script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc\s*=\s*["\'](https?:[^"\']+)'
    r'|<link\b[^>]*\bhref\s*=\s*["\'](https?:[^"\']+)'
    r'|@import\s+url\(\s*["\']?(https?:[^"\')]+)'
    r'|\bimport\s[^;\n]*?from\s*["\'](https?:[^"\']+)', re.IGNORECASE)


def remote_loads(html_text):
    """URLs a page would fetch from the network when opened (scripts, styles, images)."""
    return sorted({next(g for g in m.groups() if g) for m in REMOTE_LOAD_RE.finditer(html_text)})


def _index_page(decks):
    items = '\n'.join(f'  <li><a href="{html.escape(p.name)}">{html.escape(t)}</a> '
                      f'<small>({html.escape(p.stem.replace(".slides", ""))})</small></li>'
                      for p, t in decks)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Week 5: Applications of CNN - slides</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.6}}</style>
</head><body>
<h1>Week 5: Applications of CNN</h1>
<p>Open a deck; arrows move, <kbd>S</kbd> opens the speaker notes, <kbd>Esc</kbd> the overview,
<kbd>F</kbd> full screen. Everything here works offline.</p>
<ol>
{items}
</ol>
</body></html>
"""


def build_slides(notebooks_dir=None, out=None, names=(), theme='white', vendor=None, log=print):
    """Build every deck (or those whose names start with one of ``names``) into ``out``."""
    notebooks_dir = Path(notebooks_dir) if notebooks_dir is not None else REPO_ROOT / 'notebooks'
    out = Path(out) if out is not None else REPO_ROOT / 'slides'
    paths = sorted(notebooks_dir.glob('*.ipynb'))
    if names:
        paths = [p for p in paths if any(p.stem.startswith(n) for n in names)]
    if not paths:
        raise ValueError(f'no notebooks{" matching " + ", ".join(names) if names else ""} in '
                         f'{notebooks_dir}: pass --notebooks with the folder of chapter notebooks')
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(ensure_vendor(vendor), out)
    _check_theme(out, theme)
    exporter = _exporter(theme)
    decks = []
    for nb_path in paths:
        path, title = export_deck(nb_path, out, theme, exporter)
        decks.append((path, title))
        remote = remote_loads(path.read_text(encoding='utf-8'))
        log(f'{path.relative_to(out.parent) if out.parent in path.parents else path}: {title}'
            + (f'  (WARNING: loads from the network: {", ".join(remote)})' if remote else ''))
    known = {p.name for p, _ in decks}
    listed = decks + [(p, _deck_title(p)) for p in out.glob('*.slides.html')
                      if p.name not in known]  # decks built earlier stay listed
    (out / 'index.html').write_text(_index_page(sorted(listed, key=lambda d: d[0].name)),
                                    encoding='utf-8')
    return [p for p, _ in decks]


def _deck_title(path):
    m = re.search(r'<title>(.*?) slides</title>', path.read_text(encoding='utf-8'))
    return html.unescape(m.group(1)) if m else path.stem


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m week5.slides',
                                     description='Build offline reveal.js decks of the notebooks.')
    parser.add_argument('names', nargs='*', help='notebook name prefixes, e.g. 03 (default: all)')
    parser.add_argument('--notebooks', default=None, help='folder of notebooks (default: notebooks/)')
    parser.add_argument('--out', default=None, help='output folder (default: slides/)')
    parser.add_argument('--theme', default='white', help='reveal.js theme (default: white)')
    args = parser.parse_args(argv)
    try:
        decks = build_slides(args.notebooks, args.out, args.names, args.theme)
    except (ValueError, RuntimeError) as e:
        parser.exit(2, f'week5.slides: error: {e}\n')
    print(f'{len(decks)} deck(s); open {decks[0].parent / "index.html"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
