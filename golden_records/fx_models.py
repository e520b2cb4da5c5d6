"""The dated FX rates table: one row per (tenant, currency, date the rate takes effect)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from golden_records.models import Base, Id, tenant_column

# Rates need more places than money: 1 JPY is 0.0066 USD.
Rate = Numeric(20, 10, asdecimal=True)


class FxRate(Base):
    """`1 currency = rate_to_base base`, in force from `valid_from` until the next rate."""

    __tablename__ = "fx_rates"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date]
    rate_to_base: Mapped[Decimal] = mapped_column(Rate)
    base: Mapped[str] = mapped_column(String(3))

    # The unique constraint's index also serves the "latest rate on or before" lookups.
    __table_args__ = (UniqueConstraint("tenant_id", "currency", "valid_from"),)
