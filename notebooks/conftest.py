"""nbval over the chapter notebooks: records (week5/results.py) are not compared.

A record's output (mime type application/vnd.week5.record+json) holds the number the
chapter's text is filled with; a quick-profile run records other numbers than the committed
laptop run, and the text is checked against the records by the notebook build instead
(instructor/sources.py --check). nbval compares every mime type it does not list in
its file collector's ``skip_compare``; this adds the record's there.
"""
from week5.results import MIME


def pytest_collection_modifyitems(items):
    for item in items:
        collector = getattr(item, 'parent', None)
        skip = getattr(collector, 'skip_compare', None)
        if isinstance(skip, tuple) and MIME not in skip:
            collector.skip_compare = skip + (MIME,)
