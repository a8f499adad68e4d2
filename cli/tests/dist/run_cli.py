#!/usr/bin/env python3
"""The installed CLI, run as a user runs it: `make dist-test` calls this once
per way of installing it (a venv, `pipx run`, `npx`), with the command that
starts it after `--`.

    run_cli.py --fixtures DIR [--version V] [--quick] -- COMMAND...

It checks `--version`, `example identification` (the fixture's bytes),
`sign` and `verify` against a stored vector of fixtures/vectors.json,
`send` to a receiver on 127.0.0.1 (the body and the vector's signature must
arrive as they are), and `emulate`: started on a free port, one authorized and one unauthorized
request, then stopped with SIGINT to its process group, as Ctrl-C in a
terminal does; every process of the group (npx, the launcher, the binary)
must be gone (on Windows, where the release workflow runs the binary
itself, it is ended with TerminateProcess). The version expected is the
workspace's (Cargo.toml beside the fixtures) unless given. Standard library
only; exits 1 on the first failure."""

from __future__ import annotations

import argparse
import http.server
import json
import os
import pathlib
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.request

# The vector whose secret, body and signature the sign and verify checks use.
VECTOR = "partner API example: identification, byte for byte, typed with no mismatch"
SECRET_ENV = "BULLSEYE_DIST_TEST_SECRET"
API_KEY = "dist-test-partner-key"
TIMEOUT = 60.0
WINDOWS = os.name == "nt"


def fail(message: str) -> None:
    print(f"run_cli: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def run(command: list[str], *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*command, *args], input=stdin, capture_output=True, env=env, timeout=TIMEOUT, check=False)


def expect_ok(result: subprocess.CompletedProcess[bytes], what: str) -> bytes:
    if result.returncode != 0:
        fail(f"{what}: exit {result.returncode}\nstdout: {result.stdout.decode(errors='replace')}\nstderr: {result.stderr.decode(errors='replace')}")
    return result.stdout


def http_get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    # No proxy: the emulator is on 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C: SIGINT to the process group (TerminateProcess on Windows)."""
    if WINDOWS:
        process.terminate()
    else:
        try:
            os.killpg(process.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        if not WINDOWS:
            os.killpg(process.pid, signal.SIGKILL)
        fail("emulate did not stop")


def check_send(command: list[str], env: dict[str, str], event: pathlib.Path, body: bytes, signature: str) -> None:
    """`send` to a receiver on 127.0.0.1 that keeps what it got and answers 200."""
    received: list[tuple[str, dict[str, str], bytes]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            length = int(self.headers.get("content-length", "0"))
            received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)))
            answer = b'{"received":true}'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/bullseye"
        out = expect_ok(run(command, "send", "--url", url, "--secret-env", SECRET_ENV, str(event), env=env), "send")
    finally:
        server.shutdown()
        server.server_close()
    if len(received) != 1:
        fail(f"send: the receiver got {len(received)} requests, expected 1")
    path, headers, got = received[0]
    if path != "/webhooks/bullseye" or got != body:
        fail(f"send: the receiver got {len(got)} bytes at {path!r}, not the fixture's {len(body)} at /webhooks/bullseye")
    if headers.get("x-bullseye-signature") != signature:
        fail(f"send: X-Bullseye-Signature was {headers.get('x-bullseye-signature')!r}, the vector says {signature!r}")
    if env[SECRET_ENV].encode() in out:
        fail("send printed the secret")
    print("run_cli: send: the fixture's bytes and the vector's signature reached a receiver on 127.0.0.1")


def check_emulate(command: list[str], env: dict[str, str]) -> None:
    env = {**env, "BULLSEYE_PARTNER_API_KEY": API_KEY}
    # A session of its own, so the whole chain (npx, node, the binary) can be
    # signalled together as a terminal's Ctrl-C signals its foreground group.
    process = subprocess.Popen(
        [*command, "emulate", "--port", "0", "--in-memory"],
        stdout=subprocess.PIPE, env=env, start_new_session=True,
    )
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        try:
            first = lines.get(timeout=TIMEOUT).decode()
        except queue.Empty:
            fail(f"emulate printed nothing in {TIMEOUT:.0f} s")
        prefix = "partner API: "
        if not first.startswith(prefix):
            fail(f"emulate's first line is {first!r}, expected '{prefix}http://127.0.0.1:PORT/api/v1'")
        base = first[len(prefix):].strip()
        if not base.startswith("http://127.0.0.1:") or not base.endswith("/api/v1"):
            fail(f"emulate's base URL is {base!r}")

        status, body = http_get(f"{base}/partner/webhooks", {"X-Partner-API-Key": API_KEY})
        config = json.loads(body)
        if status != 200 or set(config) != {"identification", "billing"}:
            fail(f"GET /partner/webhooks with the key: {status} {body!r}")
        status, body = http_get(f"{base}/partner/webhooks", {})
        if status != 401:
            fail(f"GET /partner/webhooks without a key: {status} {body!r}, expected 401")
        print(f"run_cli: emulate: {base} answered 200 with the key and 401 without")
    finally:
        stop(process)
    if WINDOWS:
        print(f"run_cli: emulate: ended by TerminateProcess (exit {process.returncode})")
        return
    group = process.pid
    # The group is empty once every member has exited (a launcher that left
    # the binary running would leave it here).
    for _ in range(100):
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(group, signal.SIGKILL)
        fail("a process of emulate's group outlived SIGINT")
    print(f"run_cli: emulate: stopped by SIGINT (exit {process.returncode}), no process left")


def main() -> None:
    global TIMEOUT  # noqa: PLW0603 (one setting, read by every helper)
    # Started in the background by a shell (`make dist-test &`, nohup), this
    # process has SIGINT ignored, and an ignored signal stays ignored in
    # every child: the Ctrl-C that stops `emulate` would then do nothing.
    # A handled signal is reset to its default in a child, as in a terminal.
    if not WINDOWS and signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", type=pathlib.Path, required=True)
    parser.add_argument("--version", help="the version --version must print [default: the workspace's]")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help=f"seconds per command [default: {TIMEOUT:.0f}]")
    parser.add_argument("--quick", action="store_true",
                        help="--version, send and emulate only (under qemu each start of pipx or npx costs seconds)")
    parser.add_argument("command", nargs="+")
    options = parser.parse_args()
    command: list[str] = options.command
    TIMEOUT = options.timeout
    if options.version is None:
        cargo = tomllib.loads((options.fixtures.resolve().parent / "Cargo.toml").read_text(encoding="utf-8"))
        options.version = cargo["workspace"]["package"]["version"]

    vectors = json.loads((options.fixtures / "vectors.json").read_text(encoding="utf-8"))["cases"]
    vector = next((case for case in vectors if case["name"] == VECTOR), None) or fail(f"no vector {VECTOR!r}")
    body = (options.fixtures / "payloads" / vector["body_file"]).read_bytes()
    env = {**os.environ, SECRET_ENV: vector["secrets"][0]}

    out = expect_ok(run(command, "--version"), "--version").decode()
    if out != f"bullseye-webhooks {options.version}\n":
        fail(f"--version printed {out!r}, expected 'bullseye-webhooks {options.version}'")
    print(f"run_cli: --version: {out.strip()}")

    if options.quick:
        with tempfile.TemporaryDirectory() as workdir:
            event = pathlib.Path(workdir, "event.json")
            event.write_bytes(body)
            check_send(command, env, event, body, vector["signature"])
            check_emulate(command, env)
        print(f"run_cli: --version, send and emulate passed ({' '.join(command)})")
        return

    out = expect_ok(run(command, "example", "identification"), "example identification")
    if out != body:
        fail(f"example identification differs from fixtures/payloads/{vector['body_file']}")
    print(f"run_cli: example identification: {len(out)} bytes, the fixture's")

    with tempfile.TemporaryDirectory() as workdir:
        event = pathlib.Path(workdir, "event.json")
        event.write_bytes(out)
        signature = expect_ok(run(command, "sign", "--secret-env", SECRET_ENV, str(event), env=env), "sign").decode().strip()
        if signature != vector["signature"]:
            fail(f"sign printed {signature!r}, the vector says {vector['signature']!r}")
        print("run_cli: sign: the vector's signature")

        out = expect_ok(run(command, "verify", "--secret-env", SECRET_ENV, "--signature", signature, "-", env=env, stdin=body), "verify")
        typed = json.loads(out)
        for field in ("event_type", "timestamp"):
            if typed.get(field) != vector["expect"]["fields"][field]:
                fail(f"verify: {field} is {typed.get(field)!r}, the vector says {vector['expect']['fields'][field]!r}")
        tampered = signature[:-1] + ("0" if signature[-1] != "0" else "1")
        refused = run(command, "verify", "--secret-env", SECRET_ENV, "--signature", tampered, str(event), env=env)
        if refused.returncode != 1 or refused.stdout.decode().strip() != "signature_mismatch":
            fail(f"verify with a tampered signature: exit {refused.returncode}, stdout {refused.stdout!r}")
        if vector["secrets"][0].encode() in refused.stdout + refused.stderr:
            fail("verify printed the secret")
        print("run_cli: verify: the typed event; a tampered signature exits 1 with signature_mismatch")

        check_send(command, env, event, body, vector["signature"])
        check_emulate(command, env)
    print(f"run_cli: all passed ({' '.join(command)})")


if __name__ == "__main__":
    main()
