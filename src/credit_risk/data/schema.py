"""Table schemas of the data contract.

A dataset is a folder of CSV or Parquet tables (``enterprises``, ``records`` and the
optional ``annual_reports`` and ``relations``). Each table's columns are declared
here once; validation, readers, writers and the synthetic generator all use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ENTITY_TYPES",
    "RELATION_TYPES",
    "TABLES",
    "Column",
    "TableSchema",
]

ColumnType = Literal["id", "str", "category", "date", "float", "int"]

#: Subject types (五类主体 plus individual businesses and farmer cooperatives).
ENTITY_TYPES: tuple[str, ...] = (
    "enterprise",  # 企业
    "individual_business",  # 个体工商户
    "farmer_cooperative",  # 农民专业合作社
    "social_organisation",  # 社会组织
    "public_institution",  # 事业单位
    "government_body",  # 政府机构
)

#: Subject–subject links in the ``relations`` table.
RELATION_TYPES: tuple[str, ...] = ("shareholder", "legal_representative", "same_address")


@dataclass(frozen=True)
class Column:
    """One column: its name, logical type, whether it must be present and may be empty."""

    name: str
    type: ColumnType
    required: bool = True
    nullable: bool = False
    description: str = ""


@dataclass(frozen=True)
class TableSchema:
    """One table of the contract."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    optional_table: bool = False
    extra_columns: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


ENTERPRISES = TableSchema(
    name="enterprises",
    key=("credit_code",),
    # Only the key is required: a jurisdiction without these columns leaves them out (they are
    # then present in the typed table, all missing). Present values are checked.
    columns=(
        Column("credit_code", "id", description="unified social credit code 统一社会信用代码 (or any id)"),
        Column("name", "str", required=False, nullable=True, description="registered name"),
        Column("entity_type", "category", required=False, nullable=True,
               description=f"one of {', '.join(ENTITY_TYPES)}"),
        Column("industry", "category", required=False, nullable=True,
               description="GB/T 4754 code, e.g. C13 or C1311 (industry_scheme: any for other codes)"),
        Column("region", "category", required=False, nullable=True,
               description="GB/T 2260 six-digit region code (region_scheme: any for other codes)"),
        Column("registered_capital", "float", required=False, nullable=True, description="10,000 CNY"),
        Column("established_on", "date", required=False, nullable=True),
        Column("closed_on", "date", required=False, nullable=True,
               description="never a feature: it would leak the future"),
    ),
)

RECORDS = TableSchema(
    name="records",
    key=("record_id",),
    columns=(
        Column("record_id", "str", description="unique id of the record"),
        Column("credit_code", "id"),
        Column("kind", "category", description="a kind declared in the catalogue"),
        Column("domain", "category", description="a domain declared in the catalogue"),
        Column("start", "date", description="date of the event, or start of the interval"),
        Column("end", "date", required=False, nullable=True, description="removal, repair or expiry"),
        Column(
            "published_on",
            "date",
            required=False,
            nullable=True,
            description="when the record became known; defaults to start",
        ),
        Column(
            "period_start", "date", required=False, nullable=True,
            description="start of the period the record covers (e.g. a tax declaration's month)",
        ),
        Column("period_end", "date", required=False, nullable=True, description="end of that period"),
        Column("severity", "category", required=False, nullable=True,
               description="a severity on the kind's scale (the catalogue's unless the kind declares its own)"),
        Column("value", "float", required=False, nullable=True,
               description="what the kind's `value` declares: an amount, a count, a score or a share"),
        Column("outcome", "category", required=False, nullable=True, description="result or reason"),
        Column("source", "category", required=False, nullable=True, description="department"),
        Column(
            "draw_probability",
            "float",
            required=False,
            nullable=True,
            description="inclusion probability of a random inspection (sample weights only, never a feature)",
        ),
    ),
)

ANNUAL_REPORTS = TableSchema(
    name="annual_reports",
    key=("credit_code", "year"),
    optional_table=True,
    columns=(
        Column("credit_code", "id"),
        Column("year", "int", description="the reporting year"),
        Column("filed_on", "date", description="filing date (known from then on)"),
        Column("revenue", "float", required=False, nullable=True),
        Column("profit", "float", required=False, nullable=True),
        Column("assets", "float", required=False, nullable=True),
        Column("liabilities", "float", required=False, nullable=True),
        Column("employees", "float", required=False, nullable=True),
        Column("insured_employees", "float", required=False, nullable=True),
        Column("tax_paid", "float", required=False, nullable=True),
    ),
)

RELATIONS = TableSchema(
    name="relations",
    key=("credit_code", "related_code", "relation", "start"),
    optional_table=True,
    columns=(
        Column("credit_code", "id"),
        Column("related_code", "id"),
        Column("relation", "category", description=f"one of {', '.join(RELATION_TYPES)}"),
        Column("start", "date"),
        Column("end", "date", required=False, nullable=True),
    ),
)

TABLES: dict[str, TableSchema] = {
    t.name: t for t in (ENTERPRISES, RECORDS, ANNUAL_REPORTS, RELATIONS)
}
