"""make bench (memory): peak resident memory of a process that verifies and
parses 100,000 deliveries of the 3 KB identification payload, per language.
Each runs under its own wrapper process, so RUSAGE_CHILDREN is that one child."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
N = 100_000
PAYLOAD = ROOT / "fixtures" / "payloads" / "identification-event.json"

PYTHON_LOOP = f"""
import bullseye_webhooks as bw
body = open({str(PAYLOAD)!r}, 'rb').read()
w = bw.Webhook('whsec_bench'); s = bw.sign('whsec_bench', body)
print(sum(1 for _ in range({N}) if w.construct_event(body, s).event_type))
"""
JS_LOOP = """
const fs = require('node:fs');
const lib = require(process.argv[1]);
const body = fs.readFileSync(process.argv[2]);
const w = new lib.Webhook('whsec_bench'); const s = lib.sign('whsec_bench', body);
let n = 0; for (let i = 0; i < %d; i++) if (w.constructEvent(body, s).event_type) n++;
console.log(n);
""" % N

LANGUAGES = {
    "rust": [str(TARGET / "release" / "examples" / "deliveries"), str(N)],
    "python": [str(ROOT / ".venv" / "bin" / "python"), "-c", PYTHON_LOOP],
    "node": ["node", "-e", JS_LOOP, str(ROOT / "bindings-node"), str(PAYLOAD)],
    "wasm": ["node", "-e", JS_LOOP, str(ROOT / "bindings-wasm"), str(PAYLOAD)],
}
WRAPPER = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(r.stdout.strip() + ' ' + str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(r.returncode)\n"
)


def main(languages: list[str]) -> int:
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "bullseye-webhooks", "--example", "deliveries"],
                   cwd=ROOT, check=True)
    print(f"### Peak resident memory, {N:,} deliveries (construct_event, 3 KB payload)\n")
    print("| language | deliveries accepted | peak RSS |")
    print("|---|---|---|")
    for language in languages:
        result = subprocess.run([sys.executable, "-c", WRAPPER, *LANGUAGES[language]],
                                cwd=ROOT, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            print(f"| {language} | failed: {result.stderr.strip()[-200:]} | |")
            continue
        accepted, kib = result.stdout.split()[-2:]
        print(f"| {language} | {int(accepted):,} | {int(kib) / 1024:.1f} MiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(LANGUAGES)))
