"""Every table of the server, imported in one place for migrations and tests."""

from server.accounts.models import Device, EnrollmentCode, User, UserSession
from server.catalog.models import Article, Department, DepartmentGroup, PaymentModeRow
from server.db import Base
from server.idempotency import IdempotencyRecord
from server.orders.models import OrderLineRow, OrderRow, PaymentRow
from server.sealing.models import SealedRecordRow
from server.shops.models import Register, Shop, ShopKey

__all__ = [
    "Article",
    "Base",
    "Department",
    "DepartmentGroup",
    "Device",
    "EnrollmentCode",
    "IdempotencyRecord",
    "OrderLineRow",
    "OrderRow",
    "PaymentModeRow",
    "PaymentRow",
    "Register",
    "SealedRecordRow",
    "Shop",
    "ShopKey",
    "User",
    "UserSession",
]
