"""One module per chapter notebook: that chapter's own experiments, tables, figures and
claims. A notebook imports its chapter module beside the shared library::

    from week5.chapters import nin as chapter

What two or more chapters use lives in the shared modules (claims, viz, curves, inside,
summary, checks); a chapter module imports those, never another chapter module.
Adding a chapter: a notebook, its module here, and its row in ``NOTEBOOKS``.
"""
NOTEBOOKS = {           # notebook (file stem) -> its module in week5/chapters/
    '00_overview': 'overview',
    '01_lenet': 'lenet',
    '02_alexnet': 'alexnet',
    '03_vgg': 'vgg',
    '04_nin': 'nin',
    '05_googlenet': 'googlenet',
    '06_compare': 'compare',
}

__all__ = ['NOTEBOOKS']
