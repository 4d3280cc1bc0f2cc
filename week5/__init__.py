"""week5: the d2l-compatible helper library of "Week 5: Applications of CNN".

`import week5 as d2l` stands in for `from d2l import mxnet as d2l` in the book's
chapters on LeNet, AlexNet, VGG, NiN and GoogLeNet. Importing it has no side effects:
no seed, no rcParams, no display mode (see `set_seed` and `use_svg_display`).
"""
