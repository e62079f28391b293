"""Entry point of `till`, the cashier's screen: reads the options and the saved settings, builds
the till's core for the server it was enrolled with, and opens the window (full screen on a
kiosk)."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence

from sync.client import RetryPolicy
from sync.clock import Clock
from sync.credentials import CredentialStore
from sync.service import SyncSettings, TillSync
from till.about import command_parser
from till.errors import TillError
from till.resources import RESOURCES
from ui.context import SyncFactory, TillContext
from ui.i18n import install_language
from ui.qt import QApplication, QFont, QFontDatabase, QTimer
from ui.settings import LANGUAGES, ScreenSettings, load
from ui.window import MainWindow

THEME = RESOURCES / "theme" / "till.qss"
SIGNAL_CHECK_MS = 200


def sync_factory(
    base: SyncSettings,
    credentials: CredentialStore | None = None,
    retry: RetryPolicy | None = None,
    clock: Clock | None = None,
) -> SyncFactory:
    """Makes the till's core for a server address (chosen at set-up) and register."""

    def make(server: str, register_id: str | None) -> TillSync:
        settings = base.model_copy(
            update={"server": server, "register_id": register_id or base.register_id}
        )
        return TillSync(
            SyncSettings(**settings.model_dump()), clock=clock, credentials=credentials, retry=retry
        )

    return make


def application(language: str) -> QApplication:
    """The Qt application with the till's fonts, theme and language."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    for font in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        QFontDatabase.addApplicationFont(str(RESOURCES / "fonts" / font))
    app.setFont(QFont("DejaVu Sans", 13))
    app.setStyleSheet(THEME.read_text(encoding="utf-8"))
    install_language(language)
    return app


def open_window(context: TillContext) -> MainWindow:
    """The window, started where the till is: set-up, or log-in once enrolled."""
    window = MainWindow(context)
    server = context.settings.server
    if server:
        try:
            # On the GUI thread, but before the window is shown and the event loop runs: there
            # is no screen to freeze yet, and the first screen (set-up or log-in) depends on
            # what the core finds (is the till enrolled?). The network is not used here.
            context.connect(server)
        except TillError as error:
            window.fail(error)
    window.start()
    return window


def quit_on_signals(app: QApplication) -> None:
    """Ctrl-C and SIGTERM (a shutdown) end the till as closing its window does, so that its core
    is closed in order. Python sees a signal only when Python code runs, which Qt's loop does not
    do by itself: a timer gives it that chance now and then."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda _number, _frame: app.quit())
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(SIGNAL_CHECK_MS)


def run(base: SyncSettings, settings: ScreenSettings, *, kiosk: bool = False) -> int:
    """The window of the till that `base` describes, until it is closed; its exit status.
    `kiosk`: full screen whatever the settings say."""
    app = application(settings.language)
    quit_on_signals(app)
    context = TillContext(base.data_dir, settings, sync_factory(base), lambda _error: None)
    window = open_window(context)
    if kiosk or settings.full_screen:
        window.showFullScreen()
    else:
        window.resize(1024, 768)
        window.show()
    code = app.exec()
    context.close()
    return code


def main(argv: Sequence[str] | None = None) -> None:
    parser = command_parser("till", "The cashier's screen.")
    parser.add_argument("--kiosk", action="store_true", help="full screen, no window frame")
    parser.add_argument("--server", help="the central server's address (first run)")
    parser.add_argument("--lang", choices=LANGUAGES, help="language of the screen (fr, en)")
    parser.add_argument(
        "--keyboard",
        choices=("on", "off"),
        help="the on-screen keyboard (off on a till with a real keyboard)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        base = SyncSettings()
    except ValueError as error:
        parser.exit(2, f"till: {error}\n")
    settings: ScreenSettings = load(base.data_dir)
    if args.lang:
        settings = settings.changed(language=args.lang)
    if args.server:
        settings = settings.changed(server=args.server.rstrip("/"))
    if args.keyboard:
        settings = settings.changed(on_screen_keyboard=args.keyboard == "on")
    sys.exit(run(base, settings, kiosk=args.kiosk))
