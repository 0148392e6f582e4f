"""Old path of :mod:`credit_risk.pipeline.score`, kept as an alias of that very module.

The notebook and tests import from here (and tests monkeypatch this module).
"""

import sys

from credit_risk.pipeline import score as _module

sys.modules[__name__] = _module
