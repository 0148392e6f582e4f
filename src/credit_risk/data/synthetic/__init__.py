"""The synthetic province: a Zhejiang-like population whose latent risk drives its records.

>>> from credit_risk.data.synthetic import generate_province
>>> province = generate_province(1000, seed=0)
>>> province.dataset.records["kind"].isin(["inspection", "penalty"]).any()
np.True_

Modules: :mod:`.config` (``configs/synthetic.yaml``), :mod:`.regions` (GB/T 2260 codes),
:mod:`.codes` (GB 32100 codes), :mod:`.population` (the register), :mod:`.relations`
(related parties), :mod:`.risk` (latent risk and violations), :mod:`.reports` (annual
reports and yearly ratings), :mod:`.events` (monthly records), :mod:`.province` (assembly),
:mod:`.rates` (observed base rates against ``targets``), :mod:`.roster` (an inspector roster
sized to a policy).
"""

from credit_risk.data.synthetic.codes import complete_many
from credit_risk.data.synthetic.config import SyntheticConfig, Target, load_synthetic_config
from credit_risk.data.synthetic.province import SyntheticProvince, generate_province, write_province
from credit_risk.data.synthetic.rates import base_rates, rates_outside_targets
from credit_risk.data.synthetic.roster import synthetic_roster

__all__ = [
    "SyntheticConfig",
    "SyntheticProvince",
    "Target",
    "base_rates",
    "complete_many",
    "generate_province",
    "load_synthetic_config",
    "rates_outside_targets",
    "synthetic_roster",
    "write_province",
]
