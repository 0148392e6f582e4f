"""Old path of :mod:`credit_risk.store.bundle`, kept as an alias of that very module.

Bundles pickled before the move reference ``credit_risk.models.bundle.ModelBundle``.
"""

import sys

from credit_risk.store import bundle as _module

sys.modules[__name__] = _module
