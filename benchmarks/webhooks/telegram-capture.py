#!/usr/bin/env python3
"""A stand-in Telegram Bot API for scripts/bench-webhooks' setup step only.

The benchmark needs the secret token the server gives Telegram in
setWebhook (it is sent back in X-Telegram-Bot-Api-Secret-Token); the server
stores it encrypted and smflow-fakes does not expose it over HTTP. So the
server that deploys the flow points SMF_TELEGRAM_API_URL here: setWebhook
is answered like Telegram does and its secret_token is written to SECRET_FILE
(mode 600), never printed. Everything else gets Telegram's 404.

    telegram-capture.py SECRET_FILE    # prints the bound port, then serves on 127.0.0.1
"""
import json
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET_FILE = sys.argv[1]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet: no request lines with tokens in the path
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        method = self.path.split("?")[0].rsplit("/", 1)[-1]
        if method == "setWebhook":
            kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if kind == "application/json":
                params = json.loads(raw or b"{}")
            else:
                params = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
            secret = params.get("secret_token") or ""
            fd = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secret + "\n")
            self.answer(200, {"ok": True, "result": True, "description": "Webhook was set"})
        elif method == "deleteWebhook":
            self.answer(200, {"ok": True, "result": True, "description": "Webhook was deleted"})
        else:
            self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    do_GET = do_POST


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
