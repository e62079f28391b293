"""Touch widgets shared by the screens: big buttons, a numeric keypad, titles, read-only tables, a
row of choices that scrolls with big arrows, and small modal panels that never block the event
loop (shown with `open`, answered by callback): a question, a few fields, a choice, a day."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

from ui.i18n import tr
from ui.qt import (
    QButtonGroup,
    QCalendarWidget,
    QDate,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QLocale,
    QPixmap,
    QPushButton,
    QResizeEvent,
    QScrollArea,
    QSize,
    QSizePolicy,
    Qt,
    QTableWidget,
    QTableWidgetItem,
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


def figures(
    entries: Sequence[tuple[str, str]], prefix: str, columns: int = 3
) -> tuple[QGridLayout, dict[str, QLabel]]:
    """Figures in a grid, each big under its small caption: (key, caption) per figure, its value's
    label named `<prefix>-<key>`; the grid, and the value labels by key."""
    grid = QGridLayout()
    grid.setHorizontalSpacing(16)
    values: dict[str, QLabel] = {}
    for index, (key, caption) in enumerate(entries):
        figure = QVBoxLayout()
        figure.setSpacing(0)
        figure.addWidget(label(caption, kind="small"))
        values[key] = label("", kind="figure", name=f"{prefix}-{key}")
        figure.addWidget(values[key])
        grid.addLayout(figure, index // columns, index % columns)
    return grid, values


def restyle(widget: QWidget, kind: str) -> None:
    """Change a widget's `kind` and let the theme apply it again."""
    widget.setProperty("kind", kind)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


Entry = tuple[str, str, Callable[[], None]]  # a pooled button's text, object name and action


class ButtonPool:
    """Buttons made the first time they are needed, then kept and shown again with other texts
    and actions: a till shows the same few buttons over and over (quick amounts, payment rows,
    products, users). Making them again each time costs work and memory, and taking a widget
    out of its layout leaves Qt's layout item behind for good (some 100 bytes each time).

    `place` puts a new button in its layout (at its index); `setup` prepares it once."""

    def __init__(
        self,
        place: Callable[[QPushButton, int], None],
        *,
        kind: str = "",
        height: int = 56,
        setup: Callable[[QPushButton], None] | None = None,
    ) -> None:
        self.place = place
        self.kind = kind
        self.height = height
        self.setup = setup
        self.buttons: list[QPushButton] = []
        self._actions: list[Callable[[], None]] = []

    def show(self, entries: Sequence[Entry]) -> list[QPushButton]:
        """The first buttons showing `entries`, in order; the others hidden (and nameless, so
        that nothing finds them by a name they no longer stand for)."""
        for index, (text, name, action) in enumerate(entries):
            if index == len(self.buttons):
                made = button("", partial(self._tapped, index), kind=self.kind, height=self.height)
                if self.setup is not None:
                    self.setup(made)
                self.buttons.append(made)
                self._actions.append(action)
                self.place(made, index)
            elif self.buttons[index].isHidden():
                self.buttons[index].show()
            shown = self.buttons[index]
            shown.setText(text)
            shown.setObjectName(name)
            self._actions[index] = action
        for spare in self.buttons[len(entries) :]:
            spare.hide()
            spare.setObjectName("")
        return self.buttons[: len(entries)]

    def _tapped(self, index: int) -> None:
        self._actions[index]()


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
    """A modal panel over the screen, opened with `open()` so the event loop keeps running;
    once answered it is gone (a till opens thousands in a day)."""

    def __init__(self, parent: QWidget, title: str) -> None:
        super().__init__(parent)
        self.answered = False
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setObjectName("panel")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(24, 24, 24, 24)
        self.body.setSpacing(12)
        self.body.addWidget(label(title, kind="title", wrap=True))

    def done(self, result: int) -> None:
        self.answered = True  # for work that comes back after it is gone
        super().done(result)

    def buttons_row(self, *buttons: QPushButton) -> None:
        row = QHBoxLayout()
        for item in buttons:
            row.addWidget(item)
        self.body.addLayout(row)


class PaperView(QScrollArea):
    """A printout's picture as wide as the view and never wider than the paper itself: it
    scrolls up and down only, and is never blurred by enlarging."""

    def __init__(self) -> None:
        super().__init__()
        self.original = QPixmap()
        self.picture = QLabel()
        self.picture.setObjectName("preview-image")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setWidget(self.picture)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always there: a bar that came and went would change the width the picture fits.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)

    def show_paper(self, path: Path) -> None:
        self.original = QPixmap(str(path))
        self._fit()
        self.verticalScrollBar().setValue(0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = self.viewport().width()
        if self.original.isNull() or width <= 0:
            return
        if self.original.width() <= width:
            self.picture.setPixmap(self.original)
        else:
            self.picture.setPixmap(
                self.original.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
            )


class PreviewPanel(Panel):
    """The paper on screen, for a till with no printer: made once and shown again for each
    printout (a till with no printer previews every receipt)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, tr("Preview (no printer configured)"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.paper = PaperView()
        self.paper.setObjectName("preview-paper")
        self.body.addWidget(self.paper, 1)
        self.buttons_row(button(tr("Close"), self.accept, kind="primary", name="preview-close"))

    def show_paper(self, path: Path, room: QSize) -> None:
        """Shows the paper at `path` within `room` (the window's size): as wide as the paper and
        its scroll bar (a finger wide) when there is room for it, and as tall as there is."""
        self.paper.show_paper(path)
        self.paper.setMinimumSize(
            min(
                self.paper.original.width() + TOUCH + 2 * self.paper.frameWidth(), room.width() - 96
            ),
            max(300, room.height() - 240),
        )
        self.adjustSize()
        if not self.isVisible():
            self.answered = False
            self.open()


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
    """A few text fields (label, current value) typed on a keyboard, Enter going from one to the
    next and answering on the last; `on_done` gets the texts."""
    panel = Panel(parent, title)
    edits = []
    for index, (caption, value) in enumerate(fields):
        panel.body.addWidget(label(caption))
        edit = QLineEdit(value)
        edit.setObjectName(f"field-{index}")
        edit.setMinimumHeight(TOUCH)
        panel.body.addWidget(edit)
        edits.append(edit)

    def done() -> None:
        panel.accept()
        on_done([edit.text().strip() for edit in edits])

    enter_moves_on(edits, done)
    panel.buttons_row(
        button(tr("Cancel"), panel.reject, kind="quiet", name="panel-no"),
        button(tr("OK"), done, kind="primary", name="panel-yes"),
    )
    panel.open()
    return panel


def enter_moves_on(edits: Sequence[QLineEdit], then: Callable[[], None] | None = None) -> None:
    """Enter in a field of a form goes to the next field, and in the last one does `then`."""
    for edit, following in pairwise(edits):
        edit.returnPressed.connect(following.setFocus)
    if then is not None:
        edits[-1].returnPressed.connect(then)


def separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    return line


def table(name: str, headers: Sequence[str], *, stretch: int = -1) -> QTableWidget:
    """A read-only list with tall rows that fills its width: each column as wide as what it
    shows, the `stretch` one (the last unless told) taking what is left."""
    widget = QTableWidget(0, len(headers))
    widget.setObjectName(name)
    widget.setHorizontalHeaderLabels(list(headers))
    widget.verticalHeader().hide()
    widget.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    widget.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    widget.verticalHeader().setDefaultSectionSize(TOUCH)
    header = widget.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch % len(headers), QHeaderView.ResizeMode.Stretch)
    return widget


def fill(widget: QTableWidget, rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()) -> None:
    """Put `rows` in the table; the columns in `right` (amounts, counts) are aligned right."""
    widget.setRowCount(len(rows))
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column in right:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            widget.setItem(row, column, item)


class ElidedLabel(QLabel):
    """One line that never widens its layout: a text too long is cut in the middle with an
    ellipsis (a folder's path keeps its start and its end)."""

    def __init__(self, *, kind: str = "", name: str = "") -> None:
        super().__init__()
        self.full_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        if kind:
            self.setProperty("kind", kind)
        if name:
            self.setObjectName(name)

    def show_text(self, text: str) -> None:
        self.full_text = text
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        self.setText(metrics.elidedText(self.full_text, Qt.TextElideMode.ElideMiddle, self.width()))


class ChoiceRow(QWidget):
    """A row of big choices, one of them chosen; wider than the screen, it scrolls sideways with
    two large arrows (a finger cannot aim at a tab bar's small ones)."""

    chosen = Signal(object)

    def __init__(self, name: str, height: int = 56) -> None:
        super().__init__()
        self.name = name
        self.group = QButtonGroup(self)
        self.buttons: dict[Any, QPushButton] = {}
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(6)
        inner = QWidget()
        inner.setObjectName("choice-row")
        inner.setLayout(self.row)
        self.area = QScrollArea()
        self.area.setObjectName(name)
        self.area.setWidget(inner)
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setFixedHeight(height)
        self.choices = ButtonPool(
            lambda choice, _index: self.row.addWidget(choice),
            kind="choice",
            height=height,
            setup=self._choice,
        )
        self.back = button("◀", partial(self._turn, -1), kind="arrow", name=f"{name}-back")
        self.forward = button("▶", partial(self._turn, 1), kind="arrow", name=f"{name}-forward")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for arrow in (self.back, self.forward):
            arrow.setFixedSize(height, height)
        layout.addWidget(self.back)
        layout.addWidget(self.area, 1)
        layout.addWidget(self.forward)
        bar = self.area.horizontalScrollBar()
        bar.rangeChanged.connect(lambda _low, _high: self._arrows())
        bar.valueChanged.connect(lambda _value: self._arrows())
        self._arrows()

    def set_choices(self, choices: Sequence[tuple[Any, str]], current: Any) -> None:
        """`choices`: (key, text); the key of the one chosen is emitted by `chosen`."""
        shown = self.choices.show(
            [
                (
                    text,
                    f"{self.name}-{key if key is not None else 'all'}",
                    partial(self._tapped, key),
                )
                for key, text in choices
            ]
        )
        self.buttons = {key: choice for (key, _text), choice in zip(choices, shown, strict=True)}
        self.show_chosen(current)

    def _choice(self, choice: QPushButton) -> None:
        choice.setCheckable(True)
        # As wide as its text at least: the row scrolls rather than cut a name.
        choice.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.group.addButton(choice)

    def show_chosen(self, key: Any) -> None:
        choice = self.buttons.get(key)
        if choice is not None:
            choice.setChecked(True)
            self.area.ensureWidgetVisible(choice, 0, 0)

    def _tapped(self, key: Any) -> None:
        self.show_chosen(key)
        self.chosen.emit(key)

    def _turn(self, direction: int) -> None:
        bar = self.area.horizontalScrollBar()
        bar.setValue(bar.value() + direction * self.area.viewport().width() * 2 // 3)

    def _arrows(self) -> None:
        bar = self.area.horizontalScrollBar()
        scrolls = bar.maximum() > 0
        for arrow in (self.back, self.forward):
            arrow.setVisible(scrolls)
        self.back.setEnabled(bar.value() > 0)
        self.forward.setEnabled(bar.value() < bar.maximum())


def choice_panel(
    parent: QWidget,
    title: str,
    choices: Sequence[tuple[str, str]],
    on_chosen: Callable[[str | None], None],
    *,
    every: str,
) -> Panel:
    """One choice among a few, each a big button (`choice-<key>`), after the one that stands for
    all of them (`every`, `choice-all`, whose key is None); `on_chosen` gets the key chosen."""
    panel = Panel(parent, title)
    grid = QGridLayout()
    grid.setSpacing(8)
    for index, (key, text) in enumerate([(None, every), *choices]):

        def chosen(key: str | None = key) -> None:
            panel.accept()
            on_chosen(key)

        grid.addWidget(
            button(text, chosen, kind="user", name=f"choice-{key or 'all'}", height=64),
            index // 2,
            index % 2,
        )
    panel.body.addLayout(grid)
    panel.buttons_row(button(tr("Cancel"), panel.reject, kind="quiet", name="panel-no"))
    panel.open()
    return panel


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def date_panel(
    parent: QWidget, title: str, chosen: date, latest: date, on_chosen: Callable[[date], None]
) -> Panel:
    """A day tapped on a month's calendar with big cells (none after `latest`); months and
    years are turned with big arrows."""
    panel = Panel(parent, title)
    calendar = QCalendarWidget()
    calendar.setObjectName("calendar")
    calendar.setNavigationBarVisible(False)
    calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
    calendar.setGridVisible(True)
    calendar.setMaximumDate(_qdate(latest))
    calendar.setSelectedDate(_qdate(min(chosen, latest)))
    calendar.setMinimumSize(560, 360)
    month = label("", kind="title", name="calendar-month")
    month.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def show_month(year: int, number: int) -> None:
        month.setText(f"{QLocale().standaloneMonthName(number).capitalize()} {year}")

    def picked(day: QDate) -> None:
        panel.accept()
        on_chosen(date(day.year(), day.month(), day.day()))

    calendar.currentPageChanged.connect(show_month)
    calendar.clicked.connect(picked)
    show_month(calendar.yearShown(), calendar.monthShown())
    turns = QHBoxLayout()
    turns.addWidget(button("«", calendar.showPreviousYear, kind="key", name="calendar-back-year"))
    turns.addWidget(button("◀", calendar.showPreviousMonth, kind="key", name="calendar-back"))
    turns.addWidget(month, 2)
    turns.addWidget(button("▶", calendar.showNextMonth, kind="key", name="calendar-forward"))
    turns.addWidget(button("»", calendar.showNextYear, kind="key", name="calendar-forward-year"))
    panel.body.addLayout(turns)
    panel.body.addWidget(calendar, 1)
    panel.buttons_row(button(tr("Cancel"), panel.reject, kind="quiet", name="panel-no"))
    panel.open()
    return panel
