"""Reports and exports, for managers and accountants: a period (the usual ones, or a first and a
last day tapped on a calendar; a year at most), one register or all, one user or all; the
report's main figures on screen; the report saved as CSV, XLSX, PDF or HTML, the FEC and the
SAF-T, and the fiscal archives with their signature and key, in a folder chosen by touch.
Nothing here changes the shop's data; the server journals each file it hands over as an export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from sync.client import AccountingExport, ReportFile
from sync.reports import Period, QuickPeriod
from till.errors import TillError
from till.money import format_amount, format_rate, from_json_amount, from_json_rate
from till.periods import business_day
from ui.folders import FolderPanel, default_folder
from ui.i18n import tr
from ui.qt import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from ui.screens.base import Screen
from ui.widgets import (
    ElidedLabel,
    Panel,
    button,
    choice_panel,
    date_panel,
    figures,
    fill,
    label,
    table,
)

QUICK_NAMES = {
    QuickPeriod.TODAY: "Today",
    QuickPeriod.YESTERDAY: "Yesterday",
    QuickPeriod.THIS_WEEK: "This week",
    QuickPeriod.THIS_MONTH: "This month",
    QuickPeriod.LAST_MONTH: "Last month",
    QuickPeriod.THIS_YEAR: "This year",
}
FIGURES = (
    ("revenue", "Revenue incl. VAT"),
    ("sales", "Sales"),
    ("refunds", "Refunds"),
    ("operations", "Operations"),
    ("average", "Average basket"),
    ("vat", "VAT collected"),
)
# What the screen shows besides the summary: not the lists of orders and lines, which a year of
# a busy shop makes large.
SHOWN_SECTIONS = ("vat", "payments")
REPORT_FILES: tuple[ReportFile, ...] = ("csv", "xlsx", "pdf", "html")
EXPORTS: dict[AccountingExport, str] = {"fec": "FEC", "saft": "SAF-T"}


class CannotSave(TillError):
    code = "cannot_save"


def save_into(folder: Path, save: Callable[[Path], Path | list[Path]]) -> list[Path]:
    """On a worker: the files `save` wrote in `folder`, or why they could not be written."""
    if not folder.is_dir():
        raise CannotSave(
            tr("The folder {folder} cannot be found: choose another.").format(folder=folder)
        )
    try:
        saved = save(folder)
    except OSError as error:
        raise CannotSave(
            tr("The file could not be written in {folder}: {reason}").format(
                folder=folder, reason=error.strerror or error
            )
        ) from error
    return saved if isinstance(saved, list) else [saved]


def day_text(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _amount(value: str | None) -> str:
    return "—" if value is None else format_amount(from_json_amount(value))


@dataclass(frozen=True)
class Asked:
    """What the report on screen is for: a period, a register or all (None), a user or all."""

    period: Period
    register: str | None = None
    user: str | None = None


class ReportsScreen(Screen):
    name = "reports"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.today = date.today()
        self.asked = Asked(Period(self.today, self.today))
        self.registers: dict[str, str] = {}
        self.users: dict[str, str] = {}
        self.saving = False

        # What the report covers.
        self.quick = QButtonGroup(self)
        self.quick_buttons: dict[QuickPeriod, QPushButton] = {}
        quick_grid = QGridLayout()
        quick_grid.setSpacing(6)
        for index, (period, text) in enumerate(QUICK_NAMES.items()):
            quick = button(
                tr(text),
                partial(self.choose_quick, period),
                kind="choice",
                name=f"reports-{period.value}",
                height=52,
            )
            quick.setCheckable(True)
            self.quick.addButton(quick)
            self.quick_buttons[period] = quick
            quick_grid.addWidget(quick, index // 3, index % 3)
        self.start_button = button("", self.pick_start, name="reports-from", height=52)
        self.end_button = button("", self.pick_end, name="reports-to", height=52)
        self.register_button = button("", self.pick_register, name="reports-register", height=52)
        self.user_button = button("", self.pick_user, name="reports-user", height=52)
        self.warning = label("", kind="warning", name="reports-warning", wrap=True)
        self.warning.hide()
        self.show_button = button(
            tr("Show the report"), self.show_report, kind="primary", name="reports-show"
        )
        days = QHBoxLayout()
        days.addWidget(self.start_button)
        days.addWidget(self.end_button)
        choices = QVBoxLayout()
        choices.setSpacing(8)
        choices.addWidget(label(tr("Period"), kind="section"))
        choices.addLayout(quick_grid)
        choices.addLayout(days)
        choices.addWidget(label(tr("Register and user"), kind="section"))
        choices.addWidget(self.register_button)
        choices.addWidget(self.user_button)
        choices.addWidget(self.warning)
        choices.addStretch(1)
        choices.addWidget(self.show_button)

        # Its figures.
        self.heading = label("", kind="section", name="reports-heading", wrap=True)
        figures_grid, self.figures = figures(
            [(key, tr(caption)) for key, caption in FIGURES], "reports"
        )
        self.vat_table = table(
            "reports-vat-rates",
            [tr("Rate"), tr("Excl. VAT"), tr("VAT"), tr("Incl. VAT")],
            stretch=0,
        )
        self.modes_table = table("reports-modes", [tr("Mode"), tr("Count"), tr("Net")], stretch=0)
        tables = QGridLayout()
        tables.setHorizontalSpacing(12)
        tables.addWidget(label(tr("VAT collected per rate"), kind="small", wrap=True), 0, 0)
        tables.addWidget(
            label(tr("Per payment mode (net of change)"), kind="small", wrap=True), 0, 1
        )
        tables.addWidget(self.vat_table, 1, 0)
        tables.addWidget(self.modes_table, 1, 1)
        tables.setColumnStretch(0, 5)  # four columns of figures
        tables.setColumnStretch(1, 4)
        shown = QVBoxLayout()
        shown.addWidget(self.heading)
        shown.addLayout(figures_grid)
        shown.addLayout(tables, 1)

        # Saving.
        self.folder_label = ElidedLabel(kind="path", name="reports-folder-path")
        folder_button = button(
            tr("Change the folder"), self.pick_folder, kind="quiet", name="reports-folder"
        )
        folder_button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        folder_row = QHBoxLayout()
        folder_row.addWidget(label(tr("Save in")))
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(folder_button)
        self.save_buttons: list[QPushButton] = []
        files_row = QHBoxLayout()
        files_row.addWidget(label(tr("Report")))
        for file_format in REPORT_FILES:
            self.save_buttons.append(
                button(
                    file_format.upper(),
                    partial(self.save_report, file_format),
                    name=f"reports-save-{file_format}",
                )
            )
            files_row.addWidget(self.save_buttons[-1], 1)
        files_row.addSpacing(12)
        files_row.addWidget(label(tr("Accounts")))
        for export, text in EXPORTS.items():
            self.save_buttons.append(
                button(text, partial(self.save_export, export), name=f"reports-save-{export}")
            )
            files_row.addWidget(self.save_buttons[-1], 1)
        files_row.addSpacing(12)
        files_row.addWidget(
            button(tr("Fiscal archives"), self.list_archives, name="reports-archives"), 2
        )

        columns = QHBoxLayout()
        columns.setSpacing(16)
        columns.addLayout(choices, 2)
        columns.addLayout(shown, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(columns, 1)
        layout.addLayout(folder_row)
        layout.addLayout(files_row)
        layout.addWidget(
            label(
                tr(
                    "The FEC and the SAF-T always cover the whole shop: every register, every user."
                ),
                kind="small",
                wrap=True,
            )
        )

    # ------------------------------------------------------------------------ choosing

    def entered(self, **options: Any) -> None:
        shop = self.context.shop or {}
        sync = self.context.core
        today = business_day(
            sync.clock.wall(),
            str(shop.get("timezone", "Europe/Paris")),
            int(shop.get("opening_hour", 0)),
        )
        if today != self.today:  # a new day since the screen was last shown
            self.today = today
            self.asked = Asked(Period.quick(QuickPeriod.TODAY, today))
        self.show_folder()
        self.show_asked()
        self.run(lambda: (sync.client.get("/registers"), sync.client.get("/users")), self.people)
        self.show_report()

    def people(self, found: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        registers, users = found
        self.registers = {str(item["id"]): str(item["name"]) for item in registers}
        self.users = {str(item["id"]): str(item["name"]) for item in users}
        self.show_asked()

    def ask(self, **changes: Any) -> None:
        self.asked = replace(self.asked, **changes)
        self.show_asked()
        self.show_report()

    def choose_quick(self, quick: QuickPeriod) -> None:
        self.ask(period=Period.quick(quick, self.today))

    def pick_start(self) -> None:
        period = self.asked.period
        date_panel(
            self,
            tr("First day of the period"),
            period.start,
            self.today,
            lambda day: self.ask(period=Period(day, max(day, period.end))),
        )

    def pick_end(self) -> None:
        period = self.asked.period
        date_panel(
            self,
            tr("Last day of the period"),
            period.end,
            self.today,
            lambda day: self.ask(period=Period(min(period.start, day), day)),
        )

    def pick_register(self) -> None:
        choice_panel(
            self,
            tr("Which register?"),
            list(self.registers.items()),
            lambda key: self.ask(register=key),
            every=tr("All registers"),
        )

    def pick_user(self) -> None:
        choice_panel(
            self,
            tr("Which user?"),
            list(self.users.items()),
            lambda key: self.ask(user=key),
            every=tr("All users"),
        )

    def register_text(self) -> str:
        register = self.asked.register
        if register is None:
            return tr("All registers")
        return tr("Register: {name}").format(name=self.registers.get(register, register))

    def user_text(self) -> str:
        user = self.asked.user
        if user is None:
            return tr("All users")
        return tr("User: {name}").format(name=self.users.get(user, user))

    def show_asked(self) -> None:
        period = self.asked.period
        self.quick.setExclusive(False)
        for quick, quick_button in self.quick_buttons.items():
            quick_button.setChecked(Period.quick(quick, self.today) == period)
        self.quick.setExclusive(True)
        self.start_button.setText(tr("From {day}").format(day=day_text(period.start)))
        self.end_button.setText(tr("To {day}").format(day=day_text(period.end)))
        self.register_button.setText(self.register_text())
        self.user_button.setText(self.user_text())
        if period.valid:
            self.warning.hide()
        else:
            self.warning.setText(
                tr(
                    "A report or an export covers one year at most: from {start}, the last "
                    "day can be {latest} at the latest. Choose a later first day or an earlier "
                    "last day."
                ).format(start=day_text(period.start), latest=day_text(period.latest_end))
            )
            self.warning.show()
        self.enable()

    def enable(self) -> None:
        valid = self.asked.period.valid
        self.show_button.setEnabled(valid)
        for save_button in self.save_buttons:
            save_button.setEnabled(valid and not self.saving)

    # ------------------------------------------------------------------------ the figures

    def show_report(self) -> None:
        asked = self.asked
        for figure in self.figures.values():
            figure.setText("…")
        fill(self.vat_table, [])
        fill(self.modes_table, [])
        self.heading.setText(
            " · ".join(
                [
                    tr("From {start} to {end}").format(
                        start=day_text(asked.period.start), end=day_text(asked.period.end)
                    ),
                    self.register_text(),
                    self.user_text(),
                ]
            )
        )
        if not asked.period.valid:
            return
        client = self.context.core.client
        self.run(
            lambda: client.report(asked.period, asked.register, asked.user, SHOWN_SECTIONS),
            partial(self.show_figures, asked),
        )

    def show_figures(self, asked: Asked, report: dict[str, Any]) -> None:
        if asked != self.asked:  # the choices changed while it was on its way
            return
        summary = report["summary"]
        values = {
            "revenue": _amount(summary["revenue"]),
            "sales": f"{summary['sales_count']} · {_amount(summary['sales_total'])}",
            "refunds": f"{summary['refunds_count']} · {_amount(summary['refunds_total'])}",
            "operations": str(summary["operations"]),
            "average": _amount(summary["average_basket"]),
            "vat": _amount(summary["vat"]),
        }
        for key, text in values.items():
            self.figures[key].setText(text)
        sections = report["sections"]
        fill(
            self.vat_table,
            [
                [
                    format_rate(from_json_rate(row["rate"])),
                    _amount(row["excl_vat"]),
                    _amount(row["vat"]),
                    _amount(row["total"]),
                ]
                for row in sections["vat"]["rows"]
            ],
            right=(1, 2, 3),
        )
        fill(
            self.modes_table,
            [
                [str(row["label"]), str(row["count"]), _amount(row["net"])]
                for row in sections["payments"]["rows"]
            ],
            right=(1, 2),
        )

    # ------------------------------------------------------------------------ saving

    def folder(self) -> Path:
        chosen = self.context.settings.export_folder
        return Path(chosen) if chosen else default_folder()

    def show_folder(self) -> None:
        self.folder_label.show_text(str(self.folder()))

    def pick_folder(self) -> None:
        FolderPanel(self, self.folder(), self.run, self.folder_chosen)

    def folder_chosen(self, folder: Path) -> None:
        self.context.remember(export_folder=str(folder))
        self.show_folder()

    def save(self, save: Callable[[Path], Path | list[Path]]) -> None:
        folder = self.folder()
        self.saving = True
        self.enable()

        def saved(paths: list[Path]) -> None:
            self.saving = False
            self.enable()
            self.shell.notify(
                tr("Saved in {folder}: {files}").format(
                    folder=folder, files=", ".join(path.name for path in paths)
                ),
                error=False,
            )

        def failed(error: BaseException) -> None:
            self.saving = False
            self.enable()
            self.shell.fail(error)

        self.run(lambda: save_into(folder, save), saved, failed)

    def save_report(self, file_format: ReportFile) -> None:
        asked, client = self.asked, self.context.core.client
        self.save(
            lambda folder: client.save_report(
                file_format, asked.period, asked.register, asked.user, folder
            )
        )

    def save_export(self, export: AccountingExport) -> None:
        period, client = self.asked.period, self.context.core.client
        self.save(lambda folder: client.save_export(export, period, folder))

    def list_archives(self) -> None:
        self.run(self.context.core.client.archives, self.archives_panel)

    def archives_panel(self, archives: list[dict[str, Any]]) -> None:
        panel = Panel(self, tr("Fiscal archives"))
        if not archives:
            empty = label(tr("No fiscal archive has been made yet."), wrap=True)
            empty.setMinimumWidth(480)
            panel.body.addWidget(empty)
        else:
            panel.body.addWidget(self.archive_list(panel, archives), 1)
            panel.body.addWidget(
                label(
                    tr(
                        "Each archive is saved with its signature (.sig) and the shop's key (.pub)."
                    ),
                    kind="small",
                    wrap=True,
                )
            )
        panel.buttons_row(button(tr("Close"), panel.reject, kind="quiet", name="panel-no"))
        panel.open()

    def archive_list(self, panel: Panel, archives: list[dict[str, Any]]) -> QScrollArea:
        rows = QGridLayout()
        for index, archive in enumerate(reversed(archives)):  # the newest first
            text = tr("N° {number}: from {start} to {end}, {records} records").format(
                number=archive["number"],
                start=day_text(date.fromisoformat(archive["period_start"])),
                end=day_text(date.fromisoformat(archive["period_end"])),
                records=archive["records"],
            )
            rows.addWidget(label(text, wrap=True), index, 0)
            rows.addWidget(
                button(
                    tr("Save"),
                    partial(self.save_archive, panel, archive),
                    name=f"archive-save-{archive['id']}",
                ),
                index,
                1,
            )
        rows.setRowStretch(len(archives), 1)
        listing = QWidget()
        listing.setLayout(rows)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(listing)
        scroll.setMinimumSize(640, 240)
        return scroll

    def save_archive(self, panel: Panel, archive: dict[str, Any]) -> None:
        panel.accept()
        client = self.context.core.client
        self.save(lambda folder: client.save_archive(archive, folder))
