"""What the accountant (and the tax auditor) reads: closures, the event journal, the verification
of every chain, and the help page with the version, the fiscal fingerprint and the fiscal
documentation (and, for managers, the way to the till's own settings). Nothing here changes any
data: every call is a read."""

from __future__ import annotations

from typing import Any

from till.fiscal.perimeter import current_fingerprint
from till.money import format_amount, from_json_amount
from till.resources import DOCS
from till.version import SOFTWARE_NAME, __version__
from ui.i18n import tr
from ui.qt import QHBoxLayout, QSizePolicy, QTextBrowser, QVBoxLayout
from ui.screens.base import Screen
from ui.widgets import ChoiceRow, button, fill, label, table

# The help pages, as they are in docs/: the cashier's, then the fiscal documentation.
HELP_PAGES = (
    ("till-help.md", "Using the till"),
    ("archives.md", "Fiscal archives and their verification"),
    ("sealing.md", "How every record is sealed"),
)


CLOSURE_NAMES = {
    "register_z": "Register Z",
    "daily": "Daily closing",
    "monthly": "Monthly closing",
    "yearly": "Yearly closing",
}
EVENT_NAMES = {
    "login": "Log-in",
    "logout": "Log-out",
    "pin_failed": "Wrong PIN",
    "register_opened": "Register opened",
    "register_closed": "Register closed (Z)",
    "cash_movement": "Cash in or out",
    "x_report": "X report",
    "shop_closing": "Shop closing",
    "document_issued": "Receipt or invoice issued",
    "duplicata_issued": "Duplicata issued",
    "correction_opened": "Correction opened",
    "drafts_imported": "Drafts imported",
    "offline_period": "Offline period",
    "export": "Export",
    "archive_created": "Fiscal archive made",
    "settings_changed": "Settings changed",
    "catalog_changed": "Catalog changed",
    "user_changed": "User changed",
    "server_started": "Server started",
    "new_version": "New version",
    "integrity_failure": "Integrity failure",
    "mail_sent": "E-mail sent",
    "mail_failed": "E-mail not sent",
}
CHAIN_NAMES = {
    "order": "Orders",
    "payment": "Payments",
    "closure": "Closures",
    "event": "Event journal",
}


def _amount(value: Any) -> str:
    return format_amount(from_json_amount(value)) if value else ""


def _named(names: dict[str, str], key: str) -> str:
    """The screen's name for a server's code; the code itself for one it does not know yet."""
    return tr(names[key]) if key in names else key


def event_text(event: dict[str, Any]) -> str:
    """What happened; for an export, what was exported (a CSV report, the FEC, ...)."""
    text = _named(EVENT_NAMES, str(event["kind"]))
    exported = (event.get("details") or {}).get("format")
    return f"{text} · {str(exported).upper()}" if event["kind"] == "export" and exported else text


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
            stretch=2,
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
                    _named(CLOSURE_NAMES, str(item["type"])),
                    str(item.get("register_name") or ""),
                    self.moment(item.get("closed_at") or item["sealed_at"]),
                    _amount(item.get("period_total")),
                    _amount(item.get("grand_total")),
                ]
                for item in closures
            ],
            right=(0, 4, 5),
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
                    self.moment(item["occurred_at"], seconds=True),
                    event_text(item),
                    str(item.get("user_name") or ""),
                ]
                for item in events
            ],
            right=(0,),
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
                [
                    _named(CHAIN_NAMES, chain),
                    str(item["records"]),
                    str(item["seq"]),
                    str(item["hash"])[:16],
                ]
                for chain, item in report["chains"].items()
            ],
            right=(1, 2),
        )


class HelpScreen(Screen):
    name = "help"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.pages: dict[str, str] = {}
        self.about = label("", name="help-about", wrap=True)
        # The till's own settings, for managers: beside what the help says about this till.
        self.settings_button = button(
            tr("Settings of this till"),
            lambda: self.shell.show_screen("settings"),
            name="help-settings",
        )
        self.settings_button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        about = QHBoxLayout()
        about.addWidget(self.about, 1)
        about.addWidget(self.settings_button)
        self.choices = ChoiceRow("help-page")
        self.choices.chosen.connect(self.show_page)
        self.text = QTextBrowser()
        self.text.setObjectName("help-text")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(about)
        layout.addWidget(self.choices)
        layout.addWidget(self.text, 1)

    def entered(self, **options: Any) -> None:
        user = self.context.user
        self.settings_button.setVisible(user is not None and user.manager)
        self.run(read_help, self.show_help)

    def show_help(self, found: tuple[str, dict[str, str]]) -> None:
        fingerprint, self.pages = found
        self.about.setText(
            tr("{software} version {version}").format(software=SOFTWARE_NAME, version=__version__)
            + "\n"
            + tr("Fiscal fingerprint: {fingerprint}").format(fingerprint=fingerprint)
        )
        titles = dict(HELP_PAGES)
        first = next(iter(self.pages), None)
        self.choices.set_choices([(page, tr(titles[page])) for page in self.pages], first)
        self.show_page(first)

    def show_page(self, page: str | None) -> None:
        self.text.setMarkdown(self.pages.get(page or "", ""))


def read_help() -> tuple[str, dict[str, str]]:
    """On a worker: the fiscal fingerprint (a digest of the fiscal files) and the help pages."""
    pages = {
        page: (DOCS / page).read_text(encoding="utf-8")
        for page, _title in HELP_PAGES
        if (DOCS / page).is_file()
    }
    return current_fingerprint(), pages
