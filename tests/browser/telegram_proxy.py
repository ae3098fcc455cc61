#!/usr/bin/env python3
"""Stands between the server under test and smflow-fakes' fake Telegram.

The console browser test (scripts/lib/console.sh) needs the secret token the
server gives Telegram in setWebhook: Telegram sends it back in
X-Telegram-Bot-Api-Secret-Token on every delivery, the server stores it sealed
and the fake does not expose it. Every request is forwarded to the fake
unchanged (so the fake still checks the bot token and records what was sent);
the secret_token of a setWebhook is also written to SECRET_FILE (mode 600),
never printed.

    telegram_proxy.py SECRET_FILE FAKE_URL   # prints the bound port, serves on 127.0.0.1
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET_FILE, FAKE_URL = sys.argv[1], sys.argv[2].rstrip("/")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet: request lines carry the bot token
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.split("?")[0].rsplit("/", 1)[-1] == "setWebhook":
            kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            try:
                params = json.loads(raw or b"{}") if kind == "application/json" else \
                    {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
            except ValueError:
                params = {}
            fd = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write((params.get("secret_token") or "") + "\n")
        request = urllib.request.Request(FAKE_URL + self.path, data=raw if self.command != "GET" else None, method=self.command)
        for name in ("Content-Type",):
            if self.headers.get(name):
                request.add_header(name, self.headers[name])
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, body, kind = response.status, response.read(), response.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as error:
            status, body, kind = error.code, error.read(), error.headers.get("Content-Type", "application/json")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = forward


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
