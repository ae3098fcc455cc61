#!/usr/bin/env python3
"""Fake Telegram Bot API and OpenAI-compatible LLM for scripts/drill (issue 10), stdlib only.

Speaks the wire format smflow's TelegramClient uses (POST /bot<token>/<method>,
JSON or form parameters, the {"ok":...} envelope) and, unlike smflow-fakes'
/_fake/stats (counts only), keeps every delivered sendMessage text, so the
drill can check each accepted update against exactly one delivery:

    GET /_fake/messages  -> {"sent": N, "texts": {"<text>": <deliveries>, ...}}
    GET /_fake/stats     -> {"sendMessage": N, "sendAttempts": N, "webhookCalls": N}

POST /v1/chat/completions answers like OpenAI after LLM_DELAY_MS (default 300): the drill's
flow calls it before sendMessage, so a killed worker holds leased jobs in that step, as a real
LLM call is where most of a job's time goes.

setWebhook's secret_token is written to SECRETS_FILE (mode 600, one
"<bot id> <secret>" line per bot, replaced per bot), never printed or served.
Any bot token is accepted (the drill makes them up per run).

    fakes.py SECRETS_FILE   # prints the bound port, serves on 127.0.0.1 until SIGTERM
"""
import asyncio
import json
import os
import signal
import sys
import time
import urllib.parse

SECRETS_FILE = sys.argv[1]
LLM_DELAY = float(os.environ.get("LLM_DELAY_MS", "300")) / 1000
texts = {}
state = {"sent": 0, "attempts": 0, "webhook_calls": 0, "next_id": 1, "chat": 0}
secrets = {}


def write_secrets():
    fd = os.open(SECRETS_FILE + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        for bot, secret in secrets.items():
            f.write(f"{bot} {secret}\n")
    os.replace(SECRETS_FILE + ".tmp", SECRETS_FILE)


def params_of(content_type, body, query):
    params = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" and body:
        try:
            data = json.loads(body)
            if isinstance(data, dict):
                params.update(data)
        except ValueError:
            pass
    elif body:
        params.update({k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()})
    return params


def handle(method, path, headers, body):
    target, _, query = path.partition("?")
    if method == "GET" and target == "/_fake/messages":
        return 200, {"sent": state["sent"], "texts": texts}
    if method == "GET" and target == "/_fake/stats":
        return 200, {"sendMessage": state["sent"], "sendAttempts": state["attempts"],
                     "webhookCalls": state["webhook_calls"], "chat": state["chat"]}
    if method == "POST" and target == "/v1/chat/completions":
        state["chat"] += 1
        return 200, {"id": f"chatcmpl-drill{state['chat']}", "object": "chat.completion", "created": int(time.time()),
                     "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant",
                                                                                  "content": "We will answer soon."},
                                                          "logprobs": None, "finish_reason": "stop"}],
                     "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
    parts = target.strip("/").split("/")
    if len(parts) != 2 or not parts[0].startswith("bot"):
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
    token, api = parts[0][3:], parts[1]
    params = params_of(headers.get("content-type", ""), body, query)
    if api == "sendMessage":
        state["attempts"] += 1
        chat, text = str(params.get("chat_id") or ""), str(params.get("text") or "")
        if not chat:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"}
        if not text:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
        texts[text] = texts.get(text, 0) + 1
        state["sent"] += 1
        mid = state["next_id"]
        state["next_id"] += 1
        bot_id = int(token.split(":")[0]) if token.split(":")[0].isdigit() else 1
        chat_id = int(chat) if chat.lstrip("-").isdigit() else 1
        return 200, {"ok": True, "result": {
            "message_id": mid, "from": {"id": bot_id, "is_bot": True, "first_name": "Fake bot", "username": "fake_bot"},
            "chat": {"id": chat_id, "first_name": "Fake", "type": "private"}, "date": int(time.time()), "text": text}}
    if api in ("setWebhook", "deleteWebhook"):
        state["webhook_calls"] += 1
        if api == "setWebhook" and params.get("secret_token"):
            secrets[token.split(":")[0]] = str(params["secret_token"])
            write_secrets()
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}
    return 404, {"ok": False, "error_code": 404, "description": "Not Found"}


async def serve_client(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            method, path, _ = line.decode("latin-1").split(" ", 2)
            headers = {}
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = b""
            if headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        await reader.readline()
                        break
                    body += await reader.readexactly(size)
                    await reader.readline()
            elif headers.get("content-length"):
                body = await reader.readexactly(int(headers["content-length"]))
            if path.startswith("/v1/chat/completions") and LLM_DELAY > 0:
                await asyncio.sleep(LLM_DELAY)
            status, answer = handle(method, path, headers, body)
            data = json.dumps(answer).encode()
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
                         .encode() + data)
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                return
    except (ConnectionError, ValueError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(serve_client, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


asyncio.run(main())
