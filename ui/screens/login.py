"""Log-in with a PIN on a touch keypad (the user chosen among the shop's), and the lock screen,
which only the same user's PIN opens again (checked on the till: it works offline too)."""

from __future__ import annotations

from functools import partial
from typing import Any

from ui.context import User
from ui.i18n import tr
from ui.qt import QButtonGroup, QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget
from ui.screens.base import Screen
from ui.widgets import ButtonPool, Keypad, button, label

ROLE_NAMES = {
    "cashier": "cashier",
    "manager": "manager",
    "admin": "administrator",
    "accountant": "accountant",
}

# A PIN keypad no wider than a hand needs, however wide the screen.
KEYPAD_WIDTH = 640


def role_name(role: str) -> str:
    return tr(ROLE_NAMES.get(role, role))


class LoginScreen(Screen):
    name = "login"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.users: list[dict[str, Any]] = []
        self.chosen: dict[str, Any] | None = None
        self.group = QButtonGroup(self)
        user_grid = QGridLayout()
        user_grid.setSpacing(10)
        self.user_buttons = ButtonPool(
            lambda choice, index: user_grid.addWidget(choice, index // 3, index % 3),
            kind="user",
            height=88,
            setup=self._user_button,
        )
        self.prompt = label(tr("Who are you?"), kind="title", name="login-prompt")
        self.keypad = Keypad(masked=True, decimals=False, enter_text=tr("Log in"), key_height=64)
        self.keypad.entered.connect(self.log_in)
        left = QVBoxLayout()
        left.addWidget(self.prompt)
        left.addLayout(user_grid)
        left.addStretch(1)
        left.addWidget(button(tr("Read the user list again"), self.entered, kind="quiet"))
        right = QVBoxLayout()
        right.addWidget(label(tr("PIN")))
        right.addWidget(self.keypad)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.setSpacing(32)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

    def entered(self, **options: Any) -> None:
        self.keypad.reset()
        self.chosen = None
        self.prompt.setText(tr("Who are you?"))
        sync = self.context.core
        self.run(lambda: sync.client.get("/users"), self.show_users)

    def _user_button(self, choice: QPushButton) -> None:
        choice.setCheckable(True)
        self.group.addButton(choice)

    def show_users(self, users: list[dict[str, Any]]) -> None:
        self.users = [user for user in users if user.get("active", True)]
        # Nobody is chosen until someone taps their name (the last one to log in was).
        self.group.setExclusive(False)
        for choice in self.group.buttons():
            choice.setChecked(False)
        self.group.setExclusive(True)
        self.user_buttons.show(
            [
                (
                    f"{user['name']}\n{role_name(user['role'])}",
                    f"user-{user['id']}",
                    partial(self.choose, user),
                )
                for user in self.users
            ]
        )

    def choose(self, user: dict[str, Any]) -> None:
        self.chosen = user
        self.keypad.reset()
        self.prompt.setText(tr("{name}, type your PIN").format(name=user["name"]))

    def log_in(self, pin: str) -> None:
        if self.chosen is None:
            self.shell.notify(tr("Choose your name first."))
            return
        user, sync, context = self.chosen, self.context.core, self.context
        self.keypad.reset()

        def log_in() -> tuple[dict[str, Any], dict[str, Any]]:
            sync.log_in(str(user["id"]), pin)
            return sync.read_shop(), sync.catalog()

        def logged_in(answer: tuple[dict[str, Any], dict[str, Any]]) -> None:
            context.shop, context.catalog = answer
            self.shell.logged_in(User.logged_in(user, pin))

        self.run(log_in, logged_in)


class LockScreen(Screen):
    name = "lock"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.title = label("", kind="title", name="lock-title")
        self.keypad = Keypad(masked=True, decimals=False, enter_text=tr("Unlock"), key_height=64)
        self.keypad.entered.connect(self.unlock)
        column = QWidget()
        column.setMaximumWidth(KEYPAD_WIDTH)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 32, 0, 32)
        layout.addWidget(self.title)
        layout.addWidget(self.keypad)
        layout.addWidget(
            button(tr("Another user"), self.shell.log_out, kind="quiet", name="lock-switch")
        )
        centred = QHBoxLayout(self)
        centred.addWidget(column)

    def entered(self, **options: Any) -> None:
        self.keypad.reset()
        user = self.context.user
        self.title.setText(
            tr("Locked by {name}: type your PIN").format(name=user.name if user else "")
        )

    def unlock(self, pin: str) -> None:
        user = self.context.user
        self.keypad.reset()
        if user is not None and user.pin_matches(pin):
            self.shell.unlocked()
        else:
            self.shell.notify(tr("Wrong PIN."))
