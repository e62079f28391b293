"""Every screen of the window, in the order they are stacked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.screens.audit import ClosuresScreen, HelpScreen, JournalScreen, VerificationScreen
from ui.screens.base import Screen
from ui.screens.history import HistoryScreen
from ui.screens.login import LockScreen, LoginScreen
from ui.screens.offline import BlockedScreen, DraftsScreen
from ui.screens.payment import PaymentScreen
from ui.screens.register import RegisterScreen
from ui.screens.reports import ReportsScreen
from ui.screens.sale import SaleScreen
from ui.screens.setup import SettingsScreen, SetupScreen

if TYPE_CHECKING:
    from ui.window import MainWindow

SCREENS: tuple[type[Screen], ...] = (
    SetupScreen,
    LoginScreen,
    LockScreen,
    RegisterScreen,
    SaleScreen,
    PaymentScreen,
    HistoryScreen,
    DraftsScreen,
    BlockedScreen,
    ClosuresScreen,
    JournalScreen,
    VerificationScreen,
    ReportsScreen,
    HelpScreen,
    SettingsScreen,
)


def all_screens(shell: MainWindow) -> list[Screen]:
    return [screen(shell) for screen in SCREENS]
