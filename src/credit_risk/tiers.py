"""Old path of :mod:`credit_risk.models.tiers`, kept as an alias of that very module.

Bundles pickled before the move reference ``credit_risk.tiers.RiskTiers``.
"""

import sys

from credit_risk.models import tiers as _module

sys.modules[__name__] = _module
