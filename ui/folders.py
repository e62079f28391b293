"""Choosing a folder by touch, to save reports and exports in: the usual places (home, documents,
USB sticks) as big buttons, the folders inside the one shown as a list with tall rows, one level
up, and "Save here". Folders are read on a worker: a slow stick or a network share never holds
the screen."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ui.i18n import tr
from ui.operations import Failure
from ui.qt import QHBoxLayout, QListWidget, QListWidgetItem, QStandardPaths, Qt, QWidget
from ui.widgets import ButtonPool, ElidedLabel, Panel, button, label

# Where desktops mount USB sticks and memory cards.
MEDIA = (Path("/media"), Path("/run/media"))

Runner = Callable[[Callable[[], "FolderView"], Callable[["FolderView"], None], Failure], None]


def documents_folder() -> Path:
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()


def default_folder() -> Path:
    """The user's documents when they exist, else the home folder."""
    documents = documents_folder()
    return documents if documents.is_dir() else Path.home()


def removable_media() -> list[Path]:
    user = getpass.getuser()
    found: list[Path] = []
    for root in MEDIA:
        for base in (root / user, root):
            try:
                found += [
                    item for item in sorted(base.iterdir()) if item.is_dir() and item.name != user
                ]
            except OSError:
                continue
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class FolderView:
    """A folder as the panel shows it: its subfolders, whether it can be read and written."""

    path: Path
    folders: list[Path]
    readable: bool
    writable: bool
    media: list[Path]


def look_at(path: Path) -> FolderView:
    """On a worker: the folders inside `path` (hidden ones left out), and the USB sticks; the
    default folder instead when `path` is gone (a stick pulled out)."""
    if not path.is_dir():
        path = default_folder()
    try:
        folders = sorted(
            (item for item in path.iterdir() if item.is_dir() and not item.name.startswith(".")),
            key=lambda item: item.name.casefold(),
        )
        readable = True
    except OSError:
        folders, readable = [], False
    return FolderView(path, folders, readable, os.access(path, os.W_OK), removable_media())


class FolderPanel(Panel):
    """Tap a folder to go into it, "Up" to go back out, then "Save here"."""

    def __init__(
        self, parent: QWidget, start: Path, run: Runner, on_chosen: Callable[[Path], None]
    ) -> None:
        super().__init__(parent, tr("Where to save the files"))
        self.setMinimumSize(720, 600)
        self.run = run
        self.on_chosen = on_chosen
        self.view: FolderView | None = None
        self.path_label = ElidedLabel(kind="path", name="folder-path")
        self.state = label("", kind="small", name="folder-state", wrap=True)
        places = QHBoxLayout()
        self.places = ButtonPool(lambda place, _index: places.addWidget(place), kind="choice")
        self.folders = QListWidget()
        self.folders.setObjectName("folder-list")
        self.folders.itemClicked.connect(self._tapped)
        self.up_button = button(tr("Up one level"), self._up, kind="quiet", name="folder-up")
        self.choose_button = button(
            tr("Save here"), self._choose, kind="primary", name="folder-choose"
        )
        self.body.addWidget(self.path_label)
        self.body.addLayout(places)
        self.body.addWidget(self.up_button)
        self.body.addWidget(self.folders, 1)
        self.body.addWidget(self.state)
        self.buttons_row(
            button(tr("Cancel"), self.reject, kind="quiet", name="panel-no"), self.choose_button
        )
        self.go(start)
        self.open()

    def go(self, path: Path) -> None:
        self.choose_button.setEnabled(False)
        self.run(partial(look_at, path), self.show_folder, self._unreadable)

    def _unreadable(self, _error: BaseException) -> None:
        if not self.answered:
            self.state.setText(tr("This folder cannot be read."))

    def show_folder(self, view: FolderView) -> None:
        if self.answered:
            return
        self.view = view
        self.path_label.show_text(str(view.path))
        places = [(tr("Home"), Path.home()), (tr("Documents"), documents_folder())]
        places += [(item.name, item) for item in view.media]
        self.places.show(
            [
                (text, f"folder-place-{index}", partial(self.go, place))
                for index, (text, place) in enumerate(places)
            ]
        )
        self.folders.clear()
        for folder in view.folders:
            item = QListWidgetItem(folder.name)
            item.setData(Qt.ItemDataRole.UserRole, str(folder))
            self.folders.addItem(item)
        self.up_button.setEnabled(view.path.parent != view.path)
        self.choose_button.setEnabled(view.writable)
        if not view.readable:
            self.state.setText(tr("This folder cannot be read."))
        elif not view.writable:
            self.state.setText(tr("Nothing can be saved in this folder: choose another."))
        else:
            self.state.setText("")

    def _tapped(self, item: QListWidgetItem) -> None:
        self.go(Path(item.data(Qt.ItemDataRole.UserRole)))

    def _up(self) -> None:
        if self.view is not None:
            self.go(self.view.path.parent)

    def _choose(self) -> None:
        if self.view is not None:
            self.accept()
            self.on_chosen(self.view.path)
