"""Old path of :mod:`credit_risk.pipeline.demo`, kept as an alias of that very module.

The notebook imports ``synthetic_roster`` from here.
"""

import sys

from credit_risk.pipeline import demo as _module

sys.modules[__name__] = _module
