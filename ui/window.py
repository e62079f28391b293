"""The main window: a header that always shows the shop, the connection and who is logged in, the
offline and training banners, the navigation of the user's role, the screens in a stack, a notice
line for what went wrong, and the on-screen keyboard docked at the bottom. It routes between
screens; the screens do the work."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from sync.events import ChainAlarm, ConnectivityChanged, DraftImported, ResyncProgress
from ui.context import TillContext, User
from ui.errors import message_for
from ui.i18n import install_language, tr
from ui.keyboard import OnScreenKeyboard, WindowDock
from ui.printer import Printout
from ui.qt import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMouseEvent,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ui.screens.base import Screen
from ui.screens.index import all_screens
from ui.screens.login import role_name
from ui.widgets import TOUCH, PreviewPanel, button, label, restyle

# The navigation's entries, every role's, in the order they show (each role sees some).
NAV = (
    ("sale", "Sale"),
    ("register", "Register"),
    ("history", "History"),
    ("closures", "Closures"),
    ("journal", "Journal"),
    ("verification", "Verification"),
    ("drafts", "Drafts"),
    ("reports", "Reports"),
    ("help", "Help"),
    ("training", "Training"),
    ("lock", "Lock"),
    ("logout", "Log out"),
)
NOTICE_MS = 10_000
OFFLINE_TICK_MS = 15_000


def duration_text(left: timedelta) -> str:
    minutes = int(left.total_seconds() // 60)
    return tr("{hours} h {minutes:02d} min").format(hours=minutes // 60, minutes=minutes % 60)


class NoticeLine(QLabel):
    """The line at the bottom of the window that says what went wrong (or well) for a while; a
    tap clears it. Its room is kept while it says nothing (the theme gives it one height in
    every state): coming or going, it never moves a button the cashier is about to tap."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("notice")
        self.setWordWrap(True)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.clear)
        self.clear()

    def say(self, text: str, *, error: bool) -> None:
        self.setText(text)
        restyle(self, "notice" if error else "info")
        self.timer.start(NOTICE_MS)

    def clear(self) -> None:
        self.timer.stop()
        self.setText("")
        restyle(self, "notice-idle")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clear()


class MainWindow(QMainWindow):
    def __init__(self, context: TillContext) -> None:
        super().__init__()
        self.context = context
        context.ops.on_failure = self.fail
        context.printing.on_failure = self.fail
        self.setMinimumSize(1024, 768)
        self.imported: list[str] = []  # orders made from drafts, to complete

        self.shop_label = label("", kind="shop", name="shop-name")
        self.status_label = label("", kind="status", name="connection")
        self.user_label = label("", kind="user", name="user-name")
        header = QHBoxLayout()
        header.addWidget(self.shop_label, 3)
        header.addWidget(self.status_label, 2)
        header.addWidget(self.user_label, 2)
        header_widget = QWidget()
        header_widget.setObjectName("header")
        header_widget.setLayout(header)

        self.offline_banner = label("", kind="offline-banner", name="offline-banner", wrap=True)
        self.training_banner = label("", kind="training-banner", name="training-banner", wrap=True)
        self.resync_bar = QProgressBar()
        self.resync_bar.setObjectName("resync-bar")
        for widget in (self.offline_banner, self.training_banner, self.resync_bar):
            widget.hide()

        self.nav = QHBoxLayout()
        self.nav.setSpacing(6)
        self.nav.setContentsMargins(6, 4, 6, 4)
        self.nav_buttons: dict[str, QPushButton] = {}
        self.stack = QStackedWidget()
        self.screens: dict[str, Screen] = {}
        self.notice = NoticeLine()

        layout = QVBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header_widget)
        for widget in (self.offline_banner, self.training_banner, self.resync_bar):
            layout.addWidget(widget)
        nav_widget = QWidget()
        nav_widget.setObjectName("nav")
        nav_widget.setLayout(self.nav)
        layout.addWidget(nav_widget)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.notice)
        central = QWidget()
        central.setLayout(layout)
        dock = WindowDock(central)
        self.setCentralWidget(dock)
        self.keyboard = OnScreenKeyboard(dock, lambda: self.context.settings)

        signals = context.signals
        signals.connectivity_changed.connect(self._connectivity)
        signals.resync_progress.connect(self._resync_progress)
        signals.draft_imported.connect(self._draft_imported)
        signals.draft_rejected.connect(lambda event: self.notify(event.message))
        signals.chain_alarm.connect(self._chain_alarm)
        self._offline_timer = QTimer(self)
        self._offline_timer.timeout.connect(self.refresh_status)
        self._offline_timer.start(OFFLINE_TICK_MS)

        for screen in all_screens(self):
            self.screens[screen.name] = screen
            self.stack.addWidget(screen)
        self.preview_panel: PreviewPanel | None = None
        self._make_nav()
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(tr("Till"))
        self.training_banner.setText(
            tr("TRAINING MODE — nothing is recorded, numbered or sealed; printouts are worthless")
        )
        self.resync_bar.setFormat(tr("Re-sync: %v of %m drafts"))
        for name, text in NAV:
            self.nav_buttons[name].setText(tr(text))
        self.refresh_status()

    # ------------------------------------------------------------------------ screens

    def page(self, name: str) -> Any:
        return self.screens[name]

    @property
    def current(self) -> str:
        widget = self.stack.currentWidget()
        return widget.name if isinstance(widget, Screen) else ""

    def show_screen(self, name: str, **options: Any) -> None:
        screen = self.screens[name]
        self.stack.setCurrentWidget(screen)
        for key, nav_button in self.nav_buttons.items():
            if key != "training":
                nav_button.setChecked(key == name)
        screen.entered(**options)

    def start(self) -> None:
        """Where the till begins: set-up on first run, else the log-in of the enrolled till."""
        self.refresh_status()
        if self.context.sync is not None and self.context.sync.enrolled:
            self.show_screen("login")
        else:
            self.show_screen("setup")

    # ------------------------------------------------------------------------ people

    def logged_in(self, user: User) -> None:
        self.context.new_epoch()
        self.context.user = user
        self._show_nav(user)
        self.refresh_status()
        if user.accountant:
            self.show_screen("history", read_only=True)
        else:
            self.show_screen("register", then_sell=True)

    def lock(self) -> None:
        self.context.new_epoch()
        self._show_nav(None)
        self.show_screen("lock")

    def unlocked(self) -> None:
        assert self.context.user is not None
        self._show_nav(self.context.user)
        self.show_screen("history" if self.context.user.accountant else "sale")

    def log_out(self) -> None:
        sync = self.context.sync
        self.context.new_epoch()
        self.page("sale").leave()
        self.context.user = None
        self.context.training = False
        self.notice.clear()  # what the screen said was for the one leaving
        self._show_nav(None)
        self.refresh_status()
        if sync is not None:
            self.context.ops.run(sync.log_out)
        self.show_screen("login")

    def _make_nav(self) -> None:
        """Every role's entries, made once: a log-in, a lock and a change of user show the ones
        of the user's role (a till changes hands many times a day)."""
        # Training, lock and log-out act at once; the others lead to a screen (and stay lit).
        actions = {"training": self.toggle_training, "lock": self.lock, "logout": self.log_out}
        for name, _text in NAV:
            action = actions.get(name)
            nav_button = button(
                "",
                action or partial(self._go, name),
                kind="nav",
                name=f"nav-{name}",
                height=TOUCH if action else 56,
            )
            nav_button.setCheckable(name not in ("lock", "logout"))
            nav_button.hide()
            self.nav.addWidget(nav_button)
            self.nav_buttons[name] = nav_button

    def _show_nav(self, user: User | None) -> None:
        if user is None:
            shown: set[str] = set()
        elif user.accountant:
            shown = {"history", "closures", "journal", "verification", "reports", "help", "logout"}
        else:
            shown = {"sale", "register", "history", "drafts", "help", "training", "lock", "logout"}
            if user.manager:
                shown |= {"reports"}
        for name, nav_button in self.nav_buttons.items():
            nav_button.setVisible(name in shown)
        self.nav_buttons["training"].setChecked(self.context.training)

    def _go(self, name: str) -> None:
        read_only = bool(self.context.user and self.context.user.accountant)
        self.show_screen(name, **({"read_only": True} if name == "history" and read_only else {}))

    def toggle_training(self) -> None:
        """Training mode: the sale screen works on memory only; leaving it drops what was rung."""
        self.context.new_epoch()
        self.context.training = not self.context.training
        self.page("sale").training_changed()
        self.refresh_status()
        self.nav_buttons["training"].setChecked(self.context.training)
        self.show_screen("sale")

    # ------------------------------------------------------------------------ state

    def refresh_status(self) -> None:
        context = self.context
        self.shop_label.setText(str(context.shop["name"]) if context.shop else tr("Till"))
        user = context.user
        self.user_label.setText(f"{user.name} · {role_name(user.role)}" if user else "")
        self.training_banner.setVisible(context.training)
        sync = context.sync
        if sync is None or sync.online is None:
            self.status_label.setText("")
            self.offline_banner.hide()
            return
        if sync.online:
            self.status_label.setText(tr("Connected"))
            restyle(self.status_label, "status")
            self.offline_banner.hide()
            if self.current == "blocked":
                self.show_screen("login" if context.user is None else "drafts")
            return
        left = sync.offline_time_left()
        self.status_label.setText(tr("OFFLINE"))
        restyle(self.status_label, "status-offline")
        self.offline_banner.setText(
            tr(
                "OFFLINE — drafts only: no payment, no validation, no receipt. "
                "Time left to reconnect: {left}"
            ).format(left=duration_text(left))
        )
        self.offline_banner.show()
        if left <= timedelta(0) and self.current not in ("blocked", "setup"):
            self.show_screen("blocked")

    def _connectivity(self, event: ConnectivityChanged) -> None:
        if self.context.sync is None:
            return  # queued by a core closed since (the till is stopping)
        self.refresh_status()
        for screen in self.screens.values():
            screen.connectivity_changed(event.online)

    def _resync_progress(self, event: ResyncProgress) -> None:
        self.resync_bar.setMaximum(max(event.total, 1))
        self.resync_bar.setValue(event.done)
        self.resync_bar.setVisible(event.done < event.total)
        self.page("drafts").refresh()

    def _draft_imported(self, event: DraftImported) -> None:
        if event.order_id is not None and event.order_id not in self.imported:
            self.imported.append(event.order_id)
        self.page("drafts").refresh()

    def _chain_alarm(self, event: ChainAlarm) -> None:
        self.notify(
            tr("FISCAL ALARM: {message} Stop validating and call whoever runs the server.").format(
                message=event.message
            )
        )

    # ------------------------------------------------------------------------ printouts

    def show_printout(self, printout: Printout) -> None:
        """With no printer, the paper is shown on screen; with one, a word that it printed."""
        if printout.preview is None:
            self.notify(tr("Printed."), error=False)
            return
        if self.preview_panel is None:
            self.preview_panel = PreviewPanel(self)
        self.preview_panel.show_paper(printout.preview, self.size())

    # ------------------------------------------------------------------------ the window

    def use_full_screen(self, full: bool) -> None:
        """Full screen (a kiosk's), or a window with its frame; kept for the next start."""
        self.context.remember(full_screen=full)
        if full:
            self.showFullScreen()
        else:
            self.showNormal()

    # ------------------------------------------------------------------------ language

    def change_language(self, language: str) -> None:
        """Every text is made again in the new language: the screens are built anew."""
        self.context.new_epoch()
        self.context.remember(language=language)
        install_language(language)
        current = self.current
        for screen in self.screens.values():
            self.stack.removeWidget(screen)
            screen.deleteLater()
        self.screens = {}
        if self.preview_panel is not None:
            self.preview_panel.deleteLater()
            self.preview_panel = None
        for screen in all_screens(self):
            self.screens[screen.name] = screen
            self.stack.addWidget(screen)
        self.retranslate()
        self._show_nav(self.context.user if current not in ("login", "lock", "setup") else None)
        self.show_screen(current or "setup")

    # ------------------------------------------------------------------------ messages

    def notify(self, text: str, *, error: bool = True) -> None:
        self.notice.say(text, error=error)

    def fail(self, error: BaseException) -> None:
        self.notify(message_for(error))
