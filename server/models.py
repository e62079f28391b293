"""Every table of the server, imported in one place for migrations and tests."""

from server.accounts.models import Device, EnrollmentCode, User, UserSession
from server.archives.models import ArchivePart, ArchiveRow
from server.catalog.models import Article, Department, DepartmentGroup, PaymentModeRow
from server.closures.models import ClosureRow
from server.db import Base
from server.exports.models import AccountingChartRow
from server.idempotency import IdempotencyRecord
from server.journal.models import EventRow
from server.mail.models import MailMessageRow, MailScheduleRow, MailSettingsRow
from server.orders.models import OrderLineRow, OrderRow, PaymentRow
from server.receipts.models import IssuanceRow
from server.registers.models import CashMovement, RegisterPeriod
from server.sealing.models import SealedRecordRow
from server.shops.models import Register, Shop, ShopKey

__all__ = [
    "AccountingChartRow",
    "ArchivePart",
    "ArchiveRow",
    "Article",
    "Base",
    "CashMovement",
    "ClosureRow",
    "Department",
    "DepartmentGroup",
    "Device",
    "EnrollmentCode",
    "EventRow",
    "IdempotencyRecord",
    "IssuanceRow",
    "MailMessageRow",
    "MailScheduleRow",
    "MailSettingsRow",
    "OrderLineRow",
    "OrderRow",
    "PaymentModeRow",
    "PaymentRow",
    "Register",
    "RegisterPeriod",
    "SealedRecordRow",
    "Shop",
    "ShopKey",
    "User",
    "UserSession",
]
