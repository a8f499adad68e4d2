"""`import bullseye_webhooks` in fresh interpreters (issue 21's cold-start
goal: at most 10 ms cumulative, asyncio not imported): CPython's own
`-X importtime` figure for the package, and the wall time of a process that
imports it against one that imports nothing, interleaved; medians of ROUNDS."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

ROUNDS = 21
GOAL_MS = 10.0


def importtime_ms() -> float:
    """The package's cumulative import time (µs in CPython's report) in ms."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", "import bullseye_webhooks"],
                            capture_output=True, text=True, check=True)
    for line in result.stderr.splitlines():
        # "import time: <self µs> | <cumulative µs> | <name, indented by depth>"
        fields = line.split("|")
        if len(fields) == 3 and fields[2].strip() == "bullseye_webhooks" and fields[2].startswith(" bullseye"):
            return int(fields[1]) / 1000
    raise SystemExit("import_cost: no top-level bullseye_webhooks line in -X importtime's report")


def wall_ms(statement: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    cumulative, package, empty = [], [], []
    for _ in range(ROUNDS):
        cumulative.append(importtime_ms())
        package.append(wall_ms("import bullseye_webhooks"))
        empty.append(wall_ms("pass"))
    check = "import sys, bullseye_webhooks; print('asyncio' in sys.modules)"
    asyncio_loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                                    check=True).stdout.strip() == "True"
    c, p, e = statistics.median(cumulative), statistics.median(package), statistics.median(empty)
    print(f"import bullseye_webhooks: {c:.2f} ms cumulative (-X importtime); a process importing it "
          f"{p:.2f} ms wall, an empty one {e:.2f} ms (medians of {ROUNDS} fresh processes, interleaved); "
          f"asyncio imported: {'yes' if asyncio_loaded else 'no'}")
    met = c <= GOAL_MS and not asyncio_loaded
    print(f"goal: import at most {GOAL_MS:.0f} ms cumulative, asyncio not imported: {'met' if met else 'missed'}")


if __name__ == "__main__":
    main()
