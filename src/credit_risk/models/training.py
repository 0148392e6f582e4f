"""Old path of :mod:`credit_risk.pipeline.fit`, kept as an alias of that very module.

Bundles pickled before the move reference ``credit_risk.models.training.TrainedModels``.
"""

import sys

from credit_risk.pipeline import fit as _module

sys.modules[__name__] = _module
