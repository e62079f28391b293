"""What the accountant (and the tax auditor) reads: closures, the event journal, the verification
of every chain, and the help page with the version and the fiscal fingerprint. Nothing here
changes any data: every call is a read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from till.fiscal.perimeter import current_fingerprint
from till.money import format_amount, from_json_amount
from till.version import SOFTWARE_NAME, __version__
from ui.i18n import tr
from ui.qt import QTableWidget, QTableWidgetItem, QTextBrowser, QVBoxLayout
from ui.screens.base import Screen
from ui.widgets import button, label

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Routes others are adding to the server: linked from the help page once the server has them.
READ_ROUTES = (("/reports", "Reports"), ("/exports", "Exports"), ("/archives", "Archives"))


def table(name: str, headers: list[str]) -> QTableWidget:
    widget = QTableWidget(0, len(headers))
    widget.setObjectName(name)
    widget.setHorizontalHeaderLabels(headers)
    widget.verticalHeader().hide()
    widget.horizontalHeader().setStretchLastSection(True)
    widget.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    widget.verticalHeader().setDefaultSectionSize(40)
    return widget


def fill(widget: QTableWidget, rows: list[list[str]]) -> None:
    widget.setRowCount(len(rows))
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            widget.setItem(row, column, QTableWidgetItem(text))
    widget.resizeColumnsToContents()


def _amount(value: Any) -> str:
    return format_amount(from_json_amount(value)) if value else ""


class ClosuresScreen(Screen):
    name = "closures"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.table = table(
            "closures-table",
            [
                tr("N°"),
                tr("Kind"),
                tr("Register"),
                tr("Closed at"),
                tr("Period total"),
                tr("Grand total"),
            ],
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(label(tr("Sealed closures, newest first"), kind="title"))
        layout.addWidget(self.table, 1)

    def entered(self, **options: Any) -> None:
        sync = self.context.core
        self.run(lambda: sync.client.get("/closures"), self.display)

    def display(self, closures: list[dict[str, Any]]) -> None:
        fill(
            self.table,
            [
                [
                    str(item.get("z_number") or item["seq"]),
                    str(item["type"]),
                    str(item.get("register_name") or ""),
                    str(item.get("closed_at") or item.get("sealed_at", ""))[:16].replace("T", " "),
                    _amount(item.get("period_total")),
                    _amount(item.get("grand_total")),
                ]
                for item in closures
            ],
        )


class JournalScreen(Screen):
    name = "journal"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.table = table("journal-table", [tr("N°"), tr("When"), tr("Event"), tr("User")])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(label(tr("Event journal, newest first"), kind="title"))
        layout.addWidget(self.table, 1)

    def entered(self, **options: Any) -> None:
        sync = self.context.core
        self.run(lambda: sync.client.get("/events"), self.display)

    def display(self, events: list[dict[str, Any]]) -> None:
        fill(
            self.table,
            [
                [
                    str(item["seq"]),
                    str(item["occurred_at"])[:19].replace("T", " "),
                    str(item["kind"]),
                    str(item.get("user_name") or ""),
                ]
                for item in events
            ],
        )


class VerificationScreen(Screen):
    name = "verification"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.result = label("", kind="title", name="verification-result", wrap=True)
        self.table = table(
            "verification-table", [tr("Chain"), tr("Records"), tr("Last n°"), tr("Head")]
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.result)
        layout.addWidget(self.table, 1)
        layout.addWidget(
            button(tr("Verify every chain"), self.verify, kind="primary", name="verification-run")
        )

    def entered(self, **options: Any) -> None:
        self.result.setText(tr("Checks every seal and link of the shop's chains on the server."))

    def verify(self) -> None:
        sync = self.context.core
        self.run(lambda: sync.client.get("/verification/chains"), self.display)

    def display(self, report: dict[str, Any]) -> None:
        if report["ok"]:
            self.result.setText(tr("Every chain is intact."))
        else:
            defect = report.get("first_defect") or {}
            self.result.setText(
                tr("A chain is broken: {defect}").format(defect=defect.get("message", defect))
            )
        fill(
            self.table,
            [
                [chain, str(item["records"]), str(item["seq"]), str(item["hash"])[:16]]
                for chain, item in report["chains"].items()
            ],
        )


class HelpScreen(Screen):
    name = "help"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.about = label("", name="help-about", wrap=True)
        self.links = label("", name="help-links", wrap=True)
        self.links.setOpenExternalLinks(True)
        self.text = QTextBrowser()
        self.text.setObjectName("help-text")
        help_page = DOCS / "till-help.md"
        if help_page.is_file():
            self.text.setMarkdown(help_page.read_text(encoding="utf-8"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.about)
        layout.addWidget(self.links)
        layout.addWidget(self.text, 1)

    def entered(self, **options: Any) -> None:
        self.about.setText(
            tr("{software} version {version}").format(software=SOFTWARE_NAME, version=__version__)
            + "\n"
            + tr("Fiscal fingerprint: {fingerprint}").format(fingerprint=current_fingerprint())
        )
        sync = self.context.sync
        if sync is None or not self.context.online:
            return
        self.run(lambda: sync.client.get("/openapi.json")["paths"], self.show_links)

    def show_links(self, paths: dict[str, Any]) -> None:
        server = self.context.core.settings.server_url
        found = [
            f'<a href="{server}/docs#{route.strip("/")}">{tr(name)}</a>'
            for route, name in READ_ROUTES
            if route in paths
        ]
        self.links.setText(
            tr("On the server: {links}").format(links=" · ".join(found)) if found else ""
        )
