"""A local stand-in for WeCom and DingTalk group bots and an SMS gateway, for tests and benchmarks.

It listens on 127.0.0.1 only, answers like the real APIs (``{"errcode":0,"errmsg":"ok"}``; WeCom 45009 and DingTalk
130101 when rate-limited; DingTalk 310000 when the signature is wrong), and can be told per bot key what to answer
next: "ok", "ratelimit", "error" (errcode 93000), "http500", "timeout" (answers after ``slow_seconds``) or
"notjson". It counts what it accepted per key, so a test or a benchmark can check that nothing arrived twice.
"""

import base64
import contextlib
import hashlib
import hmac
import json
import random
import socket
import threading
import time
import urllib.parse
from collections import Counter, defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the stdlib's 5 resets connections under concurrency
    allow_reuse_address = True


class BotReceiver:
    def __init__(
        self,
        *,
        delay: float = 0.0,
        fail_ratio: float = 0.0,
        seed: int = 7,
        slow_seconds: float = 2.0,
        port: int = 0,
        keep_bodies: bool = True,
    ):
        self.keep_bodies = keep_bodies
        self.delay = delay
        self.fail_ratio = fail_ratio
        self.slow_seconds = slow_seconds
        self.random = random.Random(seed)
        self.scripts: dict[str, deque] = defaultdict(deque)
        self.secrets: dict[str, str] = {}
        self.accepted: Counter = Counter()
        self.requests: Counter = Counter()
        self.bodies: dict[str, list[dict]] = defaultdict(list)
        self.headers: dict[str, list[dict]] = defaultdict(list)
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", port), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- control ----------------------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wecom_url(self, key: str) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def dingtalk_url(self, token: str) -> str:
        return f"{self.base}/robot/send?access_token={token}"

    def sms_url(self) -> str:
        return f"{self.base}/sms/send"

    def script(self, key: str, *answers: str) -> None:
        with self.lock:
            self.scripts[key].extend(answers)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def duplicates(self) -> dict[str, int]:
        return {key: n for key, n in self.accepted.items() if n > 1}

    # --- serving ----------------------------------------------------------------------------------------------
    def _answer(self, path: str, query: dict, headers, body: bytes) -> tuple[int, bytes, float]:
        if path == "/sms/send":
            key = headers.get("Idempotency-Key", "")
            kind = "sms"
        else:
            key = (query.get("key") or query.get("access_token") or [""])[0]
            kind = "dingtalk" if path == "/robot/send" else "wecom"
        with self.lock:
            self.requests[key] += 1
            answer = self.scripts[key].popleft() if self.scripts[key] else None
            if answer is None:
                answer = "error" if self.fail_ratio and self.random.random() < self.fail_ratio else "ok"
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            return 400, b'{"errcode":40001,"errmsg":"bad json"}', 0
        if kind == "dingtalk" and key in self.secrets:
            timestamp, sign = (query.get("timestamp") or [""])[0], (query.get("sign") or [""])[0]
            secret = self.secrets[key]
            expected = base64.b64encode(
                hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
            ).decode()
            if sign != expected:
                return 200, b'{"errcode":310000,"errmsg":"sign not match"}', 0
        limit_code = {"dingtalk": 130101, "wecom": 45009, "sms": 429}[kind]
        if answer == "ok":
            with self.lock:
                self.accepted[key] += 1
                if self.keep_bodies:
                    self.bodies[key].append(payload)
                    self.headers[key].append(dict(headers))
            return 200, b'{"errcode":0,"errmsg":"ok"}', 0
        if answer == "ratelimit":
            if kind == "sms":
                return 429, b'{"code":"THROTTLED"}', 0
            return 200, json.dumps({"errcode": limit_code, "errmsg": "api freq out of limit"}).encode(), 0
        if answer == "http500":
            return 500, b"internal error", 0
        if answer == "notjson":
            return 200, b"<html>gateway</html>", 0
        if answer == "timeout":
            return 200, b'{"errcode":-1,"errmsg":"system busy"}', self.slow_seconds
        return 200, b'{"errcode":93000,"errmsg":"invalid webhook url"}', 0

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _reply(self, status: int, out: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(out)

            def do_GET(self):
                # /_stats: what was accepted, for a receiver running in another process (the benchmark)
                if self.path != "/_stats":
                    return self._reply(404, b"{}")
                with receiver.lock:
                    body = {"accepted": dict(receiver.accepted), "requests": dict(receiver.requests)}
                return self._reply(200, json.dumps(body).encode())

            def do_POST(self):
                parts = urllib.parse.urlsplit(self.path)
                if parts.path == "/_config":
                    length = int(self.headers.get("Content-Length") or 0)
                    config = json.loads(self.rfile.read(length) or b"{}")
                    with receiver.lock:
                        receiver.delay = float(config.get("delay", receiver.delay))
                        receiver.fail_ratio = float(config.get("fail_ratio", receiver.fail_ratio))
                        if config.get("reset"):
                            receiver.accepted.clear()
                            receiver.requests.clear()
                    return self._reply(200, b"{}")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status, out, wait = receiver._answer(
                    parts.path, urllib.parse.parse_qs(parts.query), self.headers, body
                )
                if wait:
                    time.sleep(wait)
                self._reply(status, out)

            def log_message(self, *args):
                pass

        return Handler


def main() -> None:
    """``python -m gridgov.notices.testing --port P --delay 0.1``: a receiver in a process of its own, so that a
    benchmark measures gridgov's sender rather than a receiver sharing its interpreter."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--fail-ratio", type=float, default=0.0)
    options = parser.parse_args()
    bots = BotReceiver(
        delay=options.delay, fail_ratio=options.fail_ratio, port=options.port, keep_bodies=False
    )
    print(f"listening on {bots.base}", flush=True)
    bots.server.serve_forever()


if __name__ == "__main__":
    main()
