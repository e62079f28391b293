"""Touch widgets shared by the screens: big buttons, a numeric keypad, titles, a notice line, and a
small modal panel that never blocks the event loop (shown with `open`, answered by callback)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from ui.i18n import tr
from ui.qt import (
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)

# The smallest a finger can hit reliably (the theme makes most buttons taller).
TOUCH = 48


def button(
    text: str,
    on_click: Callable[[], None] | None = None,
    *,
    kind: str = "",
    name: str = "",
    height: int = 56,
) -> QPushButton:
    """A button a finger can hit; `kind` (primary, danger, quiet, key) styles it in the theme."""
    widget = QPushButton(text)
    widget.setMinimumHeight(max(height, TOUCH))
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    if kind:
        widget.setProperty("kind", kind)
    if name:
        widget.setObjectName(name)
    if on_click is not None:
        widget.clicked.connect(lambda _checked=False: on_click())
    return widget


def label(text: str = "", *, kind: str = "", name: str = "", wrap: bool = False) -> QLabel:
    widget = QLabel(text)
    if kind:
        widget.setProperty("kind", kind)
    if name:
        widget.setObjectName(name)
    widget.setWordWrap(wrap)
    return widget


def restyle(widget: QWidget, kind: str) -> None:
    """Change a widget's `kind` and let the theme apply it again."""
    widget.setProperty("kind", kind)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def clear(layout: QGridLayout | QVBoxLayout | QHBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.deleteLater()


class Keypad(QWidget):
    """Digits, a decimal comma, clear and back-space, with its display above; `masked` for PINs."""

    changed = Signal(str)
    entered = Signal(str)

    def __init__(
        self,
        *,
        masked: bool = False,
        decimals: bool = True,
        enter_text: str | None = None,
        key_height: int = 60,
    ) -> None:
        super().__init__()
        self.display = QLineEdit()
        self.display.setReadOnly(True)
        self.display.setProperty("kind", "display")
        self.display.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.display.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        if masked:
            self.display.setEchoMode(QLineEdit.EchoMode.Password)
        grid = QGridLayout()
        grid.setSpacing(6)
        keys = ["7", "8", "9", "4", "5", "6", "1", "2", "3", "," if decimals else "00", "0", "⌫"]
        for index, key in enumerate(keys):
            grid.addWidget(
                button(key, partial(self.press, key), kind="key", height=key_height),
                index // 3,
                index % 3,
            )
        bottom = QHBoxLayout()
        bottom.addWidget(button(tr("Clear"), self.reset, kind="quiet", height=key_height))
        if enter_text is not None:
            bottom.addWidget(
                button(
                    enter_text, self._enter, kind="primary", name="keypad-enter", height=key_height
                )
            )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.display)
        layout.addLayout(grid)
        layout.addLayout(bottom)
        layout.addStretch(1)

    @property
    def text(self) -> str:
        return self.display.text()

    def set_text(self, text: str) -> None:
        self.display.setText(text)
        self.changed.emit(text)

    def press(self, key: str) -> None:
        text = self.text
        if key == "⌫":
            text = text[:-1]
        elif key == ",":
            text = text if "," in text else (text or "0") + ","
        elif len(text) < 12:
            text += key
        self.set_text(text)

    def reset(self) -> None:
        self.set_text("")

    def _enter(self) -> None:
        self.entered.emit(self.text)


class Panel(QDialog):
    """A modal panel over the screen, opened with `open()` so the event loop keeps running."""

    def __init__(self, parent: QWidget, title: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setObjectName("panel")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(24, 24, 24, 24)
        self.body.setSpacing(12)
        self.body.addWidget(label(title, kind="title", wrap=True))

    def buttons_row(self, *buttons: QPushButton) -> None:
        row = QHBoxLayout()
        for item in buttons:
            row.addWidget(item)
        self.body.addLayout(row)


def ask(
    parent: QWidget,
    title: str,
    text: str,
    on_yes: Callable[[], None],
    *,
    yes: str,
    no: str | None = None,
) -> Panel:
    """A yes-or-no question; `on_yes` runs only on yes."""
    panel = Panel(parent, title)
    panel.body.addWidget(label(text, wrap=True))

    def confirmed() -> None:
        panel.accept()
        on_yes()

    panel.buttons_row(
        button(no or tr("Cancel"), panel.reject, kind="quiet", name="panel-no"),
        button(yes, confirmed, kind="primary", name="panel-yes"),
    )
    panel.open()
    return panel


def fields_panel(
    parent: QWidget,
    title: str,
    fields: Sequence[tuple[str, str]],
    on_done: Callable[[list[str]], None],
) -> Panel:
    """A few text fields (label, current value) typed on a keyboard; `on_done` gets the texts."""
    panel = Panel(parent, title)
    edits = []
    for caption, value in fields:
        panel.body.addWidget(label(caption))
        edit = QLineEdit(value)
        edit.setMinimumHeight(TOUCH)
        panel.body.addWidget(edit)
        edits.append(edit)

    def done() -> None:
        panel.accept()
        on_done([edit.text().strip() for edit in edits])

    panel.buttons_row(
        button(tr("Cancel"), panel.reject, kind="quiet", name="panel-no"),
        button(tr("OK"), done, kind="primary", name="panel-yes"),
    )
    panel.open()
    return panel


def separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    return line
