"""Old path of :mod:`credit_risk.store.tracking`, kept as an alias of that very module.

Registered MLflow models name ``credit_risk.tracking`` as their pyfunc loader (``_load_pyfunc``),
and the README, notebook and tests import from here, so this name must keep resolving to the
same module object (private names and monkeypatching included).
"""

import sys

from credit_risk.store import tracking as _module

sys.modules[__name__] = _module
