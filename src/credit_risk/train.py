"""Old path of :mod:`credit_risk.pipeline.train`, kept as an alias of that very module.

The README and the notebook import ``train`` and ``load_train_config`` from here.
"""

import sys

from credit_risk.pipeline import train as _module

sys.modules[__name__] = _module
