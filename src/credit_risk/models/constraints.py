"""Old path of :mod:`credit_risk.pipeline.constraints`, kept as an alias of that very module.

Kept for callers of the old path.
"""

import sys

from credit_risk.pipeline import constraints as _module

sys.modules[__name__] = _module
