"""The on-screen keyboard of a till whose screen is its only keyboard: letters (AZERTY in French,
QWERTY in English), digits and symbols, French accents. It shows when a text field is touched,
docked at the bottom of the window, or inside the panel that holds the field (a modal panel takes
every touch); it hides when the focus leaves text fields, or on its own key.

Keys reach the field as key events, as a real keyboard's do, so that validators, `textEdited`,
`returnPressed` and a barcode scanner typing at the same time work the same; they never take the
focus from the field."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeGuard

from ui.i18n import tr
from ui.qt import (
    QApplication,
    QDialog,
    QEvent,
    QGridLayout,
    QKeyEvent,
    QLineEdit,
    QObject,
    QPoint,
    QPushButton,
    QRect,
    QResizeEvent,
    QSize,
    QSizePolicy,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.settings import ScreenSettings
from ui.widgets import TOUCH, button

KEY_HEIGHT = 56
# A row is 20 half keys wide: a letter takes two, so that a row of nine is centred under ten.
COLUMNS = 20
SIDE = 3  # shift and back-space, at either end of the third row
GAP = 8  # kept between the field typed into and the keys

LETTERS = {
    "fr": ("azertyuiop", "qsdfghjklm", "wxcvbn'"),
    "en": ("qwertyuiop", "asdfghjkl", "zxcvbnm"),
}
# Beside the letters: what server addresses, e-mail addresses, enrollment codes (XXXXX-XXXXX),
# names and notes need.
SYMBOLS = ("1234567890", "@:/-_'\"&()", "+=?!;%#")
ACCENTS = ("éèêëàâäçùû", "üôöîïÿœæ«»", "'-!?:€°")
PAGES = ("letters", "symbols", "accents")
PAGE_LABELS = {"letters": "ABC", "symbols": "?123", "accents": "àéç"}
# The two page keys at the bottom left, where each leads from each page: from any page, one tap
# reaches either other page.
PAGE_KEYS = {
    "letters": ("symbols", "accents"),
    "symbols": ("letters", "accents"),
    "accents": ("symbols", "letters"),
}
# Shift: off, for the next letter only, or locked (capitals) until tapped again.
OFF, ONCE, LOCKED = range(3)


def is_text_field(widget: QObject | None) -> TypeGuard[QLineEdit]:
    """A field that takes typed text (the keypads' displays are read-only)."""
    return isinstance(widget, QLineEdit) and widget.isEnabled() and not widget.isReadOnly()


def _shown(char: str) -> str:
    return char.replace("&", "&&")  # a button's text would take a lone & for a shortcut mark


class Keyboard(QWidget):
    """The keys, on three pages, in the layout of the screen's language; `hide_requested` when its
    hide key is tapped, or when Enter has been handled and the focus is still on the field (its
    typing is over)."""

    hide_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("keyboard")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.language = ""
        self.field: QLineEdit | None = None  # the field it was last shown for
        self.shift = OFF
        self.char_keys: list[tuple[QPushButton, str]] = []
        self.shift_keys: list[QPushButton] = []
        self.pages = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.pages)

    def open(self, language: str, field: QLineEdit) -> None:
        """Shown for `field` in the layout of `language`: on its letters (its digits when the
        field prefers numbers), without shift, when it comes to that field; as the cashier left
        it when the field is touched again."""
        self._build(language)
        if self.isHidden() or field is not self.field:
            numbers = field.inputMethodHints() & Qt.InputMethodHint.ImhPreferNumbers
            self.show_page("symbols" if numbers else "letters")
            self.shift = OFF
            self._show_shift()
        self.field = field
        self.show()

    def _build(self, language: str) -> None:
        """The keys of `language`, made anew when it changed (their texts are translated too)."""
        if language == self.language:
            return
        self.language = language
        while self.pages.count():
            old = self.pages.widget(0)
            assert old is not None
            self.pages.removeWidget(old)
            old.deleteLater()
        self.char_keys, self.shift_keys = [], []
        rows = {"letters": LETTERS[language], "symbols": SYMBOLS, "accents": ACCENTS}
        for page in PAGES:
            self.pages.addWidget(self._page(page, rows[page]))

    def show_page(self, page: str) -> None:
        self.pages.setCurrentIndex(PAGES.index(page))

    def _page(self, page: str, rows: tuple[str, str, str]) -> QWidget:
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        for column in range(COLUMNS):
            grid.setColumnStretch(column, 1)
        first, second, third = rows
        self._chars(grid, 0, first, (COLUMNS - 2 * len(first)) // 2)
        self._chars(grid, 1, second, (COLUMNS - 2 * len(second)) // 2)
        if page != "symbols":
            shift = self._key("⇧", self._shift, "kb-shift")
            shift.setCheckable(True)
            self.shift_keys.append(shift)
            grid.addWidget(shift, 2, 0, 1, SIDE)
        self._chars(grid, 2, third, SIDE + (COLUMNS - 2 * SIDE - 2 * len(third)) // 2)
        backspace = self._key("⌫", partial(self._send, Qt.Key.Key_Backspace), "kb-backspace")
        backspace.setAutoRepeat(True)
        grid.addWidget(backspace, 2, COLUMNS - SIDE, 1, SIDE)
        to_first, to_second = PAGE_KEYS[page]
        bottom = [
            (self._page_key(to_first), 3),
            (self._page_key(to_second), 2),
            (self._char_key(","), 2),
            (self._key(tr("Space"), partial(self._send, Qt.Key.Key_Space, " "), "kb-space"), 5),
            (self._char_key("."), 2),
            (self._key(tr("Enter"), self._enter, "kb-enter", kind="primary"), 3),
            (self._key(tr("Hide"), self.hide_requested.emit, "kb-hide", kind="quiet"), 3),
        ]
        column = 0
        for key, width in bottom:
            grid.addWidget(key, 3, column, 1, width)
            column += width
        widget = QWidget()
        widget.setLayout(grid)
        return widget

    def _key(
        self, text: str, action: Callable[[], None], name: str, *, kind: str = "function"
    ) -> QPushButton:
        key = button(text, action, kind=kind, name=name, height=KEY_HEIGHT)
        # The grid's equal columns size the keys, not their texts.
        key.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        key.setMinimumWidth(TOUCH)
        return key

    def _char_key(self, char: str) -> QPushButton:
        key = self._key(_shown(char), partial(self._char, char), f"kb-{char}", kind="key")
        self.char_keys.append((key, char))
        return key

    def _chars(self, grid: QGridLayout, row: int, chars: str, column: int) -> None:
        for index, char in enumerate(chars):
            grid.addWidget(self._char_key(char), row, column + 2 * index, 1, 2)

    def _page_key(self, page: str) -> QPushButton:
        return self._key(PAGE_LABELS[page], partial(self.show_page, page), f"kb-page-{page}")

    # ------------------------------------------------------------------------ typing

    def _send(self, key: int, text: str = "") -> None:
        """A key pressed and released on the field that has the focus, as a keyboard does it."""
        field = QApplication.focusWidget()
        if not is_text_field(field):
            return
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                field, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text)
            )

    def _char(self, char: str) -> None:
        # Qt names a character's key by its capital (Key_A, Key_Eacute), whatever is typed.
        self._send(ord(char.upper()), char.upper() if self.shift != OFF else char)
        if self.shift == ONCE:
            self.shift = OFF
            self._show_shift()

    def _shift(self) -> None:
        self.shift = (self.shift + 1) % 3
        self._show_shift()

    def _show_shift(self) -> None:
        for key in self.shift_keys:
            key.setChecked(self.shift != OFF)
            key.setText("⇪" if self.shift == LOCKED else "⇧")
        for key, char in self.char_keys:
            key.setText(_shown(char.upper() if self.shift != OFF else char))

    def _enter(self) -> None:
        field = QApplication.focusWidget()
        self._send(Qt.Key.Key_Return, "\r")
        if QApplication.focusWidget() is field:
            self.hide_requested.emit()


class WindowDock(QWidget):
    """The window's content, with the keyboard over its bottom while it is shown: the content
    gives up the height it can spare, and slides up when the field typed into would still be
    under the keys (what goes off the top comes back when the keys are hidden). The keyboard
    lives here; a panel borrows it."""

    def __init__(self, content: QWidget) -> None:
        super().__init__()
        self.content = content
        content.setParent(self)
        self.keyboard = Keyboard()
        self.take_back()

    def take_back(self) -> None:
        """The keyboard home, hidden (from a panel that had it)."""
        self.keyboard.hide()
        self.keyboard.setParent(self)
        self._place()

    def holds(self, field: QWidget) -> bool:
        return field.window() is self.window()

    @property
    def showing(self) -> bool:
        return self.keyboard.parentWidget() is self and not self.keyboard.isHidden()

    def show_keys(self, field: QLineEdit, language: str) -> None:
        self.keyboard.open(language, field)
        self.keyboard.raise_()
        self._place()

    def hide_keys(self) -> None:
        self.keyboard.hide()
        self._place()

    def minimumSizeHint(self) -> QSize:
        return self.content.minimumSizeHint()

    def sizeHint(self) -> QSize:
        return self.content.sizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._place()

    def event(self, event: QEvent) -> bool:
        # The content's layout changed (a banner, a notice): the window's sizes follow it, as if
        # the content were the window's own.
        if event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()
            self._place()
        return super().event(event)

    def _place(self) -> None:
        width, height = self.width(), self.height()
        field = self.keyboard.field
        if not self.showing or field is None:
            self.content.setGeometry(0, 0, width, height)
            return
        keys = self.keyboard.sizeHint().height()
        top = max(0, height - keys)
        self.keyboard.setGeometry(0, top, width, keys)
        self.content.setGeometry(0, 0, width, max(top, self.content.minimumSizeHint().height()))
        bottom = field.mapTo(self.content, QPoint(0, field.height())).y() + GAP
        self.content.move(0, -max(0, bottom - top))


class PanelDock(QObject):
    """The window's keyboard lent to a modal panel (the window beneath takes no touch while the
    panel is open), under the panel's buttons: the panel spans the window's width at its bottom
    while the keys are shown, and goes back where it was when they are hidden. One keyboard for
    every panel: a till opens thousands of panels, and each widget made costs for good."""

    def __init__(self, window_dock: WindowDock) -> None:
        super().__init__(window_dock)
        self.window_dock = window_dock
        self.keyboard = window_dock.keyboard
        self.panel: QDialog | None = None
        self.home = QRect()  # where the panel was before the keys came

    def holds(self, field: QWidget) -> bool:
        return self.panel is not None and field.window() is self.panel

    @property
    def showing(self) -> bool:
        return self.panel is not None and not self.keyboard.isHidden()

    def show_keys(self, field: QLineEdit, language: str) -> None:
        panel = field.window()
        assert isinstance(panel, QDialog)
        if panel is not self.panel:
            self.hide_keys()
            layout = panel.layout()
            assert layout is not None
            layout.addWidget(self.keyboard)
            panel.finished.connect(self.hide_keys)  # given back before the panel is deleted
            self.panel, self.home = panel, panel.geometry()
        self.keyboard.open(language, field)
        beneath = panel.parentWidget()
        assert beneath is not None  # a panel is opened over a screen
        area = beneath.window().geometry()
        height = min(panel.sizeHint().height(), area.height())
        panel.setGeometry(area.x(), area.bottom() + 1 - height, area.width(), height)

    def hide_keys(self) -> None:
        panel, self.panel = self.panel, None
        if panel is not None:
            self.window_dock.take_back()
            panel.setGeometry(self.home)


class OnScreenKeyboard(QObject):
    """Shows the keyboard when a text field is touched, where that field is (the window, or a
    panel over it); follows the focus from field to field of one window, and hides the keyboard
    when the focus goes anywhere else. Off in the screen settings, it never shows."""

    def __init__(self, dock: WindowDock, settings: Callable[[], ScreenSettings]) -> None:
        super().__init__(dock)
        self.dock = dock
        self.panels = PanelDock(dock)
        self.settings = settings
        self.shown: WindowDock | PanelDock | None = None
        dock.keyboard.hide_requested.connect(self.hide)
        application = QApplication.instance()
        assert isinstance(application, QApplication)
        application.focusChanged.connect(self._focus_changed)

    def show_for(self, field: QLineEdit) -> None:
        settings = self.settings()
        if not settings.on_screen_keyboard:
            return
        dock = self._dock_for(field)
        if dock is None:
            return
        if self.shown is not None and self.shown is not dock:
            self.shown.hide_keys()
        dock.show_keys(field, settings.language)
        self.shown = dock

    def hide(self) -> None:
        if self.shown is not None:
            self.shown.hide_keys()
            self.shown = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Watching only the field that has the focus: a touch on it (the first one gave it the
        # focus, or the keys were hidden since) shows the keys.
        if event.type() == QEvent.Type.MouseButtonRelease and is_text_field(watched):
            self.show_for(watched)
        return False

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if old is not None:
            old.removeEventFilter(self)
        if is_text_field(new):
            new.installEventFilter(self)
        shown = self.shown
        if shown is None:
            return
        if is_text_field(new) and shown.holds(new) and shown.showing:
            shown.show_keys(new, self.settings().language)
        else:
            self.hide()

    def _dock_for(self, field: QLineEdit) -> WindowDock | PanelDock | None:
        if self.dock.holds(field):
            return self.dock
        panel = field.window()
        if isinstance(panel, QDialog) and _over(panel, self.dock.window()):
            return self.panels
        return None


def _over(panel: QWidget, window: QWidget) -> bool:
    """Whether `panel` was opened over `window` (or over a panel over it)."""
    beneath = panel.parentWidget()
    while beneath is not None and beneath is not window:
        beneath = beneath.parentWidget()
    return beneath is window
