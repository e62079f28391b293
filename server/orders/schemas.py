"""What the orders API accepts: amounts as decimal strings ("12.50"), never numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from server.errors import Invalid
from till.money import from_json_amount, parse_rate
from till.order import Discount

SHORT = 100
NOTE = 2_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # No text of this API may hold a NUL character (PostgreSQL cannot even compare one).
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text may not hold a NUL character")
        return value


class DiscountIn(Strict):
    """Exactly one of `rate` (percent, "10") and `amount` ("1.50")."""

    rate: str | None = Field(default=None, max_length=10)
    amount: str | None = Field(default=None, max_length=20)

    def to_domain(self) -> Discount:
        if (self.rate is None) == (self.amount is None):
            raise Invalid("A discount has either a rate or an amount.")
        if self.rate is not None:
            return Discount.rate(parse_rate(self.rate))
        return Discount.amount(from_json_amount(self.amount or ""))


class LineIn(Strict):
    """A line from the catalog (`article_id`, its price and VAT unless given) or a free line
    (`label`, `unit_price` and `vat_rate` required)."""

    id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    article_id: str | None = Field(default=None, max_length=40)
    label: str | None = Field(default=None, min_length=1, max_length=SHORT)
    quantity: str = Field(default="1", max_length=12)
    unit_price: str | None = Field(default=None, max_length=20)
    vat_rate: str | None = Field(default=None, max_length=10)
    vat_take_away: str | None = Field(default=None, max_length=10)
    department_id: str | None = Field(default=None, max_length=40)
    discount: DiscountIn | None = None


class LinePatch(Strict):
    quantity: str | None = Field(default=None, max_length=12)
    unit_price: str | None = Field(default=None, max_length=20)
    label: str | None = Field(default=None, min_length=1, max_length=SHORT)
    discount: DiscountIn | None = None
    remove_discount: bool = False


class OrderIn(Strict):
    register_id: str = Field(max_length=40)
    delivery_method: str | None = Field(default=None, max_length=10)
    table: str | None = Field(default=None, max_length=20)
    covers: int | None = Field(default=None, ge=0, le=10_000)
    customer_account: str | None = Field(default=None, max_length=SHORT)
    public_note: str = Field(default="", max_length=NOTE)
    private_note: str = Field(default="", max_length=NOTE)


class OrderPatch(Strict):
    """Only the fields present change; `null` clears a field that may be empty."""

    delivery_method: str | None = Field(default=None, max_length=10)
    table: str | None = Field(default=None, max_length=20)
    covers: int | None = Field(default=None, ge=0, le=10_000)
    customer_account: str | None = Field(default=None, max_length=SHORT)
    customer_id_document: str | None = Field(default=None, max_length=SHORT)
    public_note: str | None = Field(default=None, max_length=NOTE)
    private_note: str | None = Field(default=None, max_length=NOTE)
    pager_number: int | None = Field(default=None, ge=0, le=1_000_000)
    order_discount: DiscountIn | None = None


class PaymentIn(Strict):
    mode: str = Field(max_length=40)
    amount: str = Field(max_length=20)


class RefundIn(Strict):
    register_id: str = Field(max_length=40)


class DraftLineIn(LineIn):
    label: str = Field(min_length=1, max_length=SHORT)
    unit_price: str = Field(max_length=20)
    vat_rate: str = Field(max_length=10)


class DraftIn(Strict):
    """An order prepared offline on a till, with the prices its catalog had then."""

    id: str = Field(min_length=1, max_length=36, pattern=r"^[0-9A-Za-z-]+$")
    created_at: datetime
    register_id: str = Field(max_length=40)
    user_id: str | None = Field(default=None, max_length=40)
    delivery_method: str = Field(default="eat_in", max_length=10)
    table: str | None = Field(default=None, max_length=20)
    covers: int | None = Field(default=None, ge=0, le=10_000)
    customer_account: str | None = Field(default=None, max_length=SHORT)
    public_note: str = Field(default="", max_length=NOTE)
    private_note: str = Field(default="", max_length=NOTE)
    order_discount: DiscountIn | None = None
    lines: list[DraftLineIn] = Field(default_factory=list, max_length=500)


class DraftBatchIn(Strict):
    drafts: list[DraftIn] = Field(min_length=1, max_length=500)
