"""Benchmark of the cashier's screen (`ui/`), offscreen, against a real `till-server serve` on
loopback, set up as the demo is (`ui.demo.prepare`: the demo shop, an enrolled till; register R1
opened here), receipts printed to a file as to a printer.

(a) Cold start: from the start of a till process to the sale screen shown, its ticket ready, for a
    cashier who logs in as soon as the log-in screen lists the users (PIN typed on the keypad).
    The median of `--starts` processes. Target: cold_start_s <= 2.
(b) Tap to confirmed line: from the tap on a product button to the ticket showing the line the
    server confirmed (nothing pending any more); 3 lines per sale, p50 and p99.
    Target: tap_p99_ms <= 50.
(c) Memory: the till's resident set after 500 whole sales (3 products, paid cash, validated, the
    receipt printed), sampled every 100 sales, with the slope of the samples, which should be
    flat. Target: rss_mb_after_500 <= 250.
The till process is the `till` command's own start (`ui.app.run`); the last one started makes
the sales, driven through its window from inside its event loop as a finger would (a button's
click). It imports nothing the till does not, so its start and its memory are the till's.
Run: python bench/bench_ui.py [--quick] [--sales N] [--every N] [--starts N]
`--quick` is a tiny run that only proves everything works (its figures mean nothing).
The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sync.service import TillSync
from ui.app import run
from ui.demo import prepare, till_settings
from ui.qt import QApplication, QPushButton, Qt, QTimer
from ui.settings import PrinterChoice, load, save
from ui.window import MainWindow

CASHIER = ("u-karim", "1111")  # of the demo shop (resources/demo/shop.json)
MANAGER = ("u-claire", "1234")
ARTICLES = ("croissant", "creme", "jus-orange")
READY = "READY"  # what a till process says once the sale screen is shown
FIGURES = "FIGURES "  # the start of the line of its raw figures
POLL_MS = 2
STEP_TIMEOUT_S = 60.0


# ---------------------------------------------------------------------------- the till process


def rss_mb() -> float:
    """The resident set of this process now (Linux); elsewhere its peak, which is no less."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        import resource  # not on Windows, which has no /proc either: there, no figure

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 2**10)
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass(frozen=True)
class Wait:
    """What a script waits for before its next step."""

    condition: Callable[[], bool]
    what: str


Steps = Iterator[Wait]


class Script:
    """Runs a script (a generator of `Wait`s) from the till's own event loop, as a finger would
    act on what the screen shows: each step goes on once the condition it waits for holds, which
    is tried every few milliseconds, and at once after the sale screen has shown a change of its
    ticket (so a tap is timed to the refresh that shows its line). Between two tries the loop
    runs as it does in a shop: it handles events, deletes what was left for deletion, and waits.
    """

    def __init__(self, app: QApplication, window: MainWindow, steps: Steps) -> None:
        self.app = app
        self.steps = steps
        self.waiting: Wait | None = None
        self.deadline = 0.0
        self.running = False
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.step)
        self.timer.start(POLL_MS)
        # Connected after the sale screen's own slot, so it runs once the ticket is shown.
        window.context.signals.ticket_changed.connect(lambda _event: self.step())

    def step(self) -> None:
        if self.running:
            return
        self.running = True
        try:
            while self.waiting is None or self.waiting.condition():
                self.waiting = next(self.steps)
                self.deadline = time.monotonic() + STEP_TIMEOUT_S
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"waited {STEP_TIMEOUT_S:.0f} s for {self.waiting.what}")
        except StopIteration:
            self.timer.stop()
            self.app.quit()
        except Exception:
            traceback.print_exc()
            self.timer.stop()
            self.app.exit(1)
        finally:
            self.running = False


def buttons(window: MainWindow, name: str | None = None) -> list[QPushButton]:
    return [
        item
        for item in window.findChildren(QPushButton)
        if item.isVisible() and (name is None or item.objectName() == name)
    ]


def tap(window: MainWindow, name: str) -> Generator[Wait, None, float]:
    """Once the button is there to tap, tap it; the moment of the tap."""

    def ready() -> list[QPushButton]:
        return [item for item in buttons(window, name) if item.isEnabled()]

    yield Wait(lambda: bool(ready()), name)
    tapped = time.perf_counter()
    ready()[0].click()
    return tapped


def type_keys(window: MainWindow, digits: str) -> None:
    """Digits on the keypad shown last."""
    for digit in digits:
        [*_, key] = [item for item in buttons(window) if item.text() == digit]
        key.click()


def on(window: MainWindow, screen: str) -> Wait:
    return Wait(lambda: window.current == screen, f"the {screen} screen")


def confirmed_lines(window: MainWindow) -> int | None:
    """The lines the ticket shows, when every one of them is a line the server confirmed."""
    lines = window.page("sale").lines
    items = [lines.item(row) for row in range(lines.count())]
    if any(item.data(Qt.ItemDataRole.UserRole) is None for item in items):
        return None  # a change still pending is shown as such
    return len(items)


def shows_lines(window: MainWindow, count: int) -> bool:
    return confirmed_lines(window) == count


def log_in_and_sell(window: MainWindow, sales: int, every: int) -> Steps:
    sale = window.page("sale")
    payment = window.page("payment")
    user, pin = CASHIER
    yield on(window, "login")
    yield from tap(window, f"user-{user}")
    type_keys(window, pin)
    yield from tap(window, "keypad-enter")
    yield on(window, "sale")
    yield Wait(lambda: sale.ticket is not None, "the first ticket")
    print(READY, flush=True)
    taps: list[float] = []
    samples: list[tuple[int, float]] = []
    for number in range(1, sales + 1):
        yield Wait(lambda: sale.ticket is not None and shows_lines(window, 0), "a new ticket")
        for count, article in enumerate(ARTICLES, start=1):
            tapped = yield from tap(window, f"product-{article}")
            yield Wait(partial(shows_lines, window, count), f"line {count}")
            taps.append((time.perf_counter() - tapped) * 1000)
        yield from tap(window, "sale-pay")
        yield on(window, "payment")
        yield from tap(window, "mode-cash")
        yield from tap(window, "payment-validate")
        yield Wait(lambda: payment.validated is not None, "the validation")
        yield Wait(lambda: window.context.printing.idle, "the receipt")
        yield from tap(window, "done-next")
        yield on(window, "sale")
        if number % every == 0:
            samples.append((number, rss_mb()))
            print(f"after {number} sales: RSS {samples[-1][1]:.1f} MB", flush=True)
    print(FIGURES + json.dumps({"tap_ms": taps, "rss": samples}), flush=True)


def till_process(folder: Path, sales: int, every: int) -> int:
    """A till started as `till` starts, which logs in, says so, then makes `sales` sales."""
    screen = load(folder)
    assert screen.server is not None
    app = QApplication(sys.argv[:1])  # `run` finds it and sets it up as it would its own
    scripts: list[Script] = []

    def begin() -> None:
        window = next(item for item in app.topLevelWidgets() if isinstance(item, MainWindow))
        scripts.append(Script(app, window, log_in_and_sell(window, sales, every)))

    QTimer.singleShot(0, begin)
    return run(till_settings(folder, screen.server), screen)


# ---------------------------------------------------------------------------- the benchmark


def start_till(folder: Path, sales: int, every: int) -> tuple[float, subprocess.Popen[str]]:
    """A till process: the seconds from its start to its sale screen, and the process."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, __file__, "--till", str(folder)]
    command += ["--sales", str(sales), "--every", str(every)]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == READY:
            return time.perf_counter() - started, process
        print(line, end="")
    raise RuntimeError(f"the till stopped before its sale screen (exit {process.wait()})")


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The raw figures of a till process, its other lines passed on."""
    assert process.stdout is not None
    figures: dict[str, Any] | None = None
    for line in process.stdout:
        if line.startswith(FIGURES):
            figures = json.loads(line[len(FIGURES) :])
        else:
            print(line, end="")
    if process.wait() != 0 or figures is None:
        raise RuntimeError(f"the till process failed (exit {process.returncode})")
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a tiny run: proves it works")
    parser.add_argument("--sales", type=int, default=500, help="sales made")
    parser.add_argument("--every", type=int, default=100, help="sales between memory samples")
    parser.add_argument("--starts", type=int, default=5, help="cold starts timed")
    parser.add_argument("--till", type=Path, help=argparse.SUPPRESS)  # a till process's folder
    args = parser.parse_args(argv)
    if args.till is not None:
        sys.exit(till_process(args.till, args.sales, args.every))
    sales, every, starts = (4, 2, 1) if args.quick else (args.sales, args.every, args.starts)
    if not 0 < every <= sales or starts < 1:
        parser.error("needs 0 < --every <= --sales and --starts >= 1")
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as temporary:
        folder = Path(temporary)
        demo = prepare(folder)
        try:
            manager = TillSync(demo.till)
            try:
                manager.log_in(*MANAGER)
                manager.client.open_register("R1", "150.00")
                manager.log_out()
            finally:
                manager.close()
            printer = PrinterChoice("file", device=str(folder / "printer.bin"))
            save(demo.till.data_dir, demo.screen.changed(printer=printer))
            cold: list[float] = []
            for start in range(1, starts + 1):
                last = start == starts
                seconds, process = start_till(demo.till.data_dir, sales if last else 0, every)
                cold.append(seconds)
                print(f"cold start to the sale screen: {seconds:.3f} s", flush=True)
                raw = finish(process)
        finally:
            demo.server.stop()
    taps: list[float] = raw["tap_ms"]
    samples: list[tuple[int, float]] = [(int(n), float(mb)) for n, mb in raw["rss"]]
    p50, p99 = statistics.median(taps), statistics.quantiles(taps, n=100, method="inclusive")[98]
    print(f"tap to confirmed line, {len(taps)} taps: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    if len(samples) >= 2:
        slope = statistics.linear_regression(
            [float(n) for n, _ in samples], [mb for _, mb in samples]
        ).slope
        print(
            f"RSS samples (MB): {[round(mb, 1) for _, mb in samples]}; "
            f"slope {slope * every:+.2f} MB per {every} sales"
        )
    figures = {
        "cold_start_s": round(statistics.median(cold), 3),
        "tap_p50_ms": round(p50, 2),
        "tap_p99_ms": round(p99, 2),
        "rss_mb_after_500": round(samples[-1][1], 1),
    }
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
