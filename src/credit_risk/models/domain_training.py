"""Old path of :mod:`credit_risk.pipeline.domains`, kept as an alias of that very module.

Kept for callers of the old path.
"""

import sys

from credit_risk.pipeline import domains as _module

sys.modules[__name__] = _module
