"""Adapters: read data published in other formats into the data contract.

``credit_risk.adapters.lives``
    The LIVES restaurant-inspection format (businesses / inspections / violations) that many
    city open-data portals publish (San Francisco, ...).
"""

from credit_risk.adapters.lives import LivesReport, load_lives, read_lives, write_lives_dataset

__all__ = ["LivesReport", "load_lives", "read_lives", "write_lives_dataset"]
