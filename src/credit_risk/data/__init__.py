"""The data contract: tables, catalogue, validation, readers and the synthetic province."""

from credit_risk.data.catalog import Catalog, KindSpec, load_catalog
from credit_risk.data.dataset import CreditDataset, DatasetManifest, load_dataset, write_dataset
from credit_risk.data.dates import DateSpec
from credit_risk.data.schema import ENTITY_TYPES, RELATION_TYPES, TABLES

__all__ = [
    "ENTITY_TYPES",
    "RELATION_TYPES",
    "TABLES",
    "Catalog",
    "CreditDataset",
    "DatasetManifest",
    "DateSpec",
    "KindSpec",
    "load_catalog",
    "load_dataset",
    "write_dataset",
]
