"""The benchmark's report: each figure as it is measured, then the summary of ratios to the
limits measured in the same run."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any


@dataclasses.dataclass
class Figure:
    key: str
    label: str
    rate: float
    unit: str = "entries/s"
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


def ratio(value: float, limit: float | None) -> str:
    return f"{value / limit:6.1%}" if limit else "   n/a"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def mb(kilobytes: float) -> str:
    return f"{kilobytes / 1024:.1f} MB"


class Report:
    def __init__(self) -> None:
        self.figures: dict[str, Figure] = {}

    def add(self, figure: Figure) -> Figure:
        self.figures[figure.key] = figure
        extra = " ".join(f"{k}={v}" for k, v in figure.extra.items())
        print(f"  {figure.key:<11} {figure.rate:>12,.0f} {figure.unit:<10} {figure.label} {extra}")
        sys.stdout.flush()
        return figure

    def write_json(self, path: Path) -> None:
        figures = {key: dataclasses.asdict(figure) for key, figure in self.figures.items()}
        path.write_text(json.dumps(figures, indent=2))

    def rate(self, key: str) -> float | None:
        figure = self.figures.get(key)
        return figure.rate if figure else None


def print_summary(report: Report, streams: int, per_message: int) -> None:
    r = report.rate
    s = streams
    print()
    print("Summary (ratios to the limits measured above, in this run)")
    db = r("1.copy_fk")
    rows: list[tuple[str, float | None, float | None, str]] = [
        ("(3) 1/message, 1 stream", r("3.single.1"), r("2.single.1"), "transport 1/msg, 1 stream"),
        (
            f"(3) 1/message, {s} streams",
            r(f"3.single.{s}"),
            r(f"2.single.{s}"),
            f"transport 1/msg, {s} streams  [target >= 60%]",
        ),
    ]
    for streams in (1, s):
        transport = r(f"2.bulk.{streams}")
        lower = min(x for x in (db, transport) if x) if (db or transport) else None
        which = "database" if lower == db else "transport"
        target = "  [target >= 50%]" if streams == s else ""
        rows.append(
            (
                f"(4) {per_message}/message, {streams} stream(s)",
                r(f"4.bulk.{streams}"),
                lower,
                f"lower limit ({which}){target}",
            )
        )
    rows.append(
        (
            "(5) AddCountItem, 16 callers",
            r("5.unary"),
            r("2.unary"),
            "bare unary echo  [target >= 50%, p99 <= 25 ms]",
        )
    )
    for label, value, limit, against in rows:
        if value is None:
            continue
        print(f"  {label:<30} {value:>10,.0f}/s  {ratio(value, limit)} of {against}")
    unary = report.figures.get("5.unary")
    if unary:
        print(f"  (5) latency p50 {unary.extra['p50_ms']} ms, p99 {unary.extra['p99_ms']} ms")
    soak = report.figures.get("6.soak")
    if soak:
        print(
            f"  (6) RSS start {soak.extra['rss_start']}, peak {soak.extra['rss_peak']}, "
            f"end {soak.extra['rss_end']}, growth {soak.extra['growth']}  [target <= 50 MB]"
        )
    idle = report.figures.get("6.idle")
    if idle:
        e = idle.extra
        print(
            f"  (6) {int(idle.rate)} idle streams: threads {e['threads_before']} -> "
            f"{e['threads_open']}, RSS {e['rss_before']} -> {e['rss_open']} "
            f"({e['rss_per_stream_kb']} kB per stream)"
        )
