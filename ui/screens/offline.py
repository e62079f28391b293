"""Offline work: the drafts kept on the till and the orders the server made from them (to be
completed and validated), a re-sync on demand with its progress; and the screen that blocks the
till past the 20-hour window until it reconnects, the drafts kept."""

from __future__ import annotations

from functools import partial
from typing import Any

from sync.drafts import REJECTED
from till.money import format_amount
from ui.i18n import tr
from ui.qt import QListWidget, QProgressBar, QVBoxLayout
from ui.screens.base import Screen
from ui.widgets import ButtonPool, button, label


class DraftsScreen(Screen):
    name = "drafts"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.summary = label("", kind="title", name="drafts-summary", wrap=True)
        self.drafts = QListWidget()
        self.drafts.setObjectName("drafts-list")
        self.progress = QProgressBar()
        self.progress.setObjectName("drafts-progress")
        self.progress.setFormat(tr("%v of %m drafts sent"))
        imported = QVBoxLayout()
        self.imported = ButtonPool(lambda order, _index: imported.addWidget(order), height=52)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.addWidget(self.summary)
        layout.addWidget(label(tr("Drafts kept on this till")))
        layout.addWidget(self.drafts, 1)
        layout.addWidget(self.progress)
        layout.addWidget(label(tr("Orders made from drafts, to complete and validate")))
        layout.addLayout(imported)
        layout.addWidget(
            button(tr("Send the drafts now"), self.resync, kind="primary", name="drafts-resync")
        )
        self.context.signals.resync_progress.connect(self._progress)

    def entered(self, **options: Any) -> None:
        self.refresh()

    def connectivity_changed(self, online: bool) -> None:
        if self.isVisible():
            self.refresh()

    def _progress(self, event: Any) -> None:
        self.progress.setMaximum(max(event.total, 1))
        self.progress.setValue(event.done)

    def refresh(self) -> None:
        sync = self.context.sync
        if sync is None or not self.isVisible():
            return
        self.run(sync.drafts.all, self.show_drafts)

    def show_drafts(self, drafts: list[Any]) -> None:
        self.drafts.clear()
        for draft in drafts:
            text = (
                f"{draft.created_at:%d/%m %H:%M} · "
                + tr("{count} lines").format(count=len(draft.lines))
                + f" · {format_amount(draft.totals.final_price)}"
            )
            if draft.status == REJECTED and draft.rejection:
                text += " · " + tr("refused: {reason}").format(
                    reason=draft.rejection.get("message", "")
                )
            self.drafts.addItem(text)
        self.summary.setText(
            tr("{count} draft(s) waiting for the server").format(count=len(drafts))
        )
        self.imported.show(
            [
                (
                    tr("Complete order {index}").format(index=index + 1),
                    f"imported-{index}",
                    partial(self.complete, order_id),
                )
                for index, order_id in enumerate(self.shell.imported)
            ]
        )

    def complete(self, order_id: str) -> None:
        self.shell.imported.remove(order_id)
        self.shell.page("sale").resume_order(order_id)
        self.shell.show_screen("sale")

    def resync(self) -> None:
        sync = self.context.core
        self.run(sync.resync_now, lambda _report: self.refresh())


class BlockedScreen(Screen):
    name = "blocked"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.message = label("", kind="blocked", name="blocked-message", wrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(64, 48, 64, 48)
        layout.addWidget(self.message, 1)
        layout.addWidget(
            button(
                tr("Try to reconnect"),
                self.reconnect,
                kind="primary",
                name="blocked-retry",
                height=80,
            )
        )

    def entered(self, **options: Any) -> None:
        sync = self.context.core
        self.show_kept(None)
        self.run(lambda: sync.drafts.count(None), self.show_kept)  # read on the disk

    def show_kept(self, count: int | None) -> None:
        text = tr(
            "This till has been offline for more than 20 hours. No new work is possible until "
            "it reconnects to the server. Check the network and the server, then try again."
        )
        if count is not None:
            text += "\n\n" + tr(
                "{count} draft(s) are kept and will be sent once connected."
            ).format(count=count)
        self.message.setText(text)

    def reconnect(self) -> None:
        sync = self.context.core
        self.run(sync.client.health, lambda _answer: self.shell.refresh_status())
