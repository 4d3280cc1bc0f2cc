"""The training lab and small viewers: the only part of week5 that imports ipywidgets.

* `panel`: the `TrainingLab`'s controls and layout (what a student sets and sees);
* `controller`: its runs — one background training thread, Stop, the runs kept, and
  the status texts (one measure per name);
* `pictures`: what it shows (PNG pictures, HTML tables, headless output);
* `viewers`: `FilterViewer`, `FeatureMapExplorer`, `InceptionPanel`;
* `explorer`: `ConvolutionExplorer` (one convolution step on a real image and kernel).

Design (the project's "Live plots, widgets and nbval" notes): training runs on ONE
background thread, so Stop and the rest of the notebook stay responsive, and everything
MXNet does for a run happens on that thread; pictures are ``ipywidgets.Image`` widgets
holding PNG bytes rendered by Agg, redrawn by the throttled callbacks of `week5.live`;
headless (nbconvert, nbval, plain Python, ``WEEK5_HEADLESS=1``) the same calls train
synchronously and leave one static figure and a text with rounded numbers.
"""
from ..runtime import is_headless
from .panel import TrainingLab
from .viewers import FeatureMapExplorer, FilterViewer, InceptionPanel
from .explorer import ConvolutionExplorer

__all__ = ['is_headless', 'TrainingLab', 'FilterViewer', 'FeatureMapExplorer',
           'InceptionPanel', 'ConvolutionExplorer']
