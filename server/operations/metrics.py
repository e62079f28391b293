"""Prometheus text metrics of this process: requests, latency, validations, errors; chain lengths
are read from the database at scrape time."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{name}="{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for name, value in labels.items()
    )
    return "{" + inner + "}"


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, str]] = Counter()
        self.errors: Counter[str] = Counter()
        self.validations = 0
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            counts = self._buckets.setdefault(route, [0] * (len(BUCKETS) + 1))
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[index] += 1
            counts[-1] += 1
            self._sums[route] = self._sums.get(route, 0.0) + seconds

    def error(self, code: str) -> None:
        with self._lock:
            self.errors[code] += 1

    def validated(self) -> None:
        with self._lock:
            self.validations += 1

    def render(self, chains: Iterable[tuple[str, str, int]]) -> str:
        out: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")

        with self._lock:
            family("till_http_requests_total", "counter", "HTTP requests answered.")
            for (method, route, status), count in sorted(self.requests.items()):
                labels = {"method": method, "route": route, "status": status}
                out.append(f"till_http_requests_total{_labels(labels)} {count}")
            family("till_http_request_duration_seconds", "histogram", "Time to answer.")
            for route, counts in sorted(self._buckets.items()):
                for bound, count in zip(BUCKETS, counts, strict=False):
                    labels = {"route": route, "le": f"{bound:g}"}
                    out.append(
                        f"till_http_request_duration_seconds_bucket{_labels(labels)} {count}"
                    )
                out.append(
                    "till_http_request_duration_seconds_bucket"
                    f"{_labels({'route': route, 'le': '+Inf'})} {counts[-1]}"
                )
                out.append(
                    f"till_http_request_duration_seconds_sum{_labels({'route': route})} "
                    f"{self._sums[route]:.6f}"
                )
                out.append(
                    f"till_http_request_duration_seconds_count{_labels({'route': route})} "
                    f"{counts[-1]}"
                )
            family("till_errors_total", "counter", "Error answers by error code.")
            for code, count in sorted(self.errors.items()):
                out.append(f"till_errors_total{_labels({'code': code})} {count}")
            family("till_validations_total", "counter", "Orders validated and sealed.")
            out.append(f"till_validations_total {self.validations}")
        family("till_chain_length", "gauge", "Records in each chain of each shop.")
        for shop, chain, length in chains:
            out.append(f"till_chain_length{_labels({'shop': shop, 'chain': chain})} {length}")
        return "\n".join(out) + "\n"
