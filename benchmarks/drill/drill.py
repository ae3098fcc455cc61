#!/usr/bin/env python3
"""The failure drill of issue 10 (started by scripts/drill; stdlib only).

scripts/drill starts the throwaway PostgreSQL, migrates and creates the owner;
this program starts everything else on loopback (the fake Telegram, 2x
`smflow-testbed serve`, 2x `smflow-testbed worker`, nginx with the shipped
configuration), sets up bots/flows through the API (through nginx), runs the
scenarios, prints one summary line each and writes the results JSON. Every
process it started is stopped on exit (by pid).

Accounting: every webhook carries a unique update_id and the text
"drill-<update_id>"; the flow sends that text back with sendMessage, and the
fake Telegram keeps a count per text. accepted = update_ids answered 200 with
{"accepted":1}; lost = accepted ids never delivered; duplicates = texts
delivered more than once.
"""
import asyncio
import json
import math
import os
import random
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse

ENV = os.environ
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TMP = ENV["DRILL_TMP"]
BIN = ENV["DRILL_BIN_DIR"]
SHORT = ENV.get("DRILL_SHORT", "0") == "1"
SCENARIOS = ENV.get("DRILL_SCENARIOS", "steady,worker-kill,app-kill,db-restart,overload,abuse,slowloris").split(",")
RATE = float(ENV.get("DRILL_RATE", "40" if SHORT else "120"))          # webhooks/s in steady phases
READ_RATE = float(ENV.get("DRILL_READ_RATE", "10" if SHORT else "30"))  # authenticated API reads/s
STEADY_SECONDS = float(ENV.get("DRILL_DURATION", "15" if SHORT else "60"))
FAULT_SECONDS = float(ENV.get("DRILL_FAULT_DURATION", "15" if SHORT else "30"))
LEASE = int(ENV.get("DRILL_LEASE_SECONDS", "10"))
RESULTS = ENV.get("DRILL_RESULTS", os.path.join(ROOT, "benchmarks", "drill-results.json"))
NGINX = ENV["DRILL_NGINX"]
GATE = ENV.get("DRILL_GATE", "all")  # all | accounting
SERVER_NAME = "smflow.test"
PER_BOT_RATE = 12.0      # below the app's default webhook limit (1200/min per endpoint)
PER_IP_RATE = 8.0        # below nginx's smf_api zone (20 r/s per address)
PER_SESSION_RATE = 5.0   # below the app's default read limit (600/min per credential)
CLIENT_TIMEOUT = 10.0
LEAK = re.compile(r"psql|postgres|sqlite|select |insert |update .* set|\.swift|fluent|nio[A-Z]|errno|stack|"
                  r"connection refused|Error\(|sqlstate|password|secret|/work/|/tmp/|/root/", re.I)
DEV_MARK = "shown because SMF_ENV is not production"

children = {}   # name -> Popen
procs_for_rss = {}


def log(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


def info(msg):
    print(f"    {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ processes ---

def start(name, argv, env, stdout_path, stderr_path):
    out = open(stdout_path, "wb")
    err = open(stderr_path, "ab")
    p = subprocess.Popen(argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=TMP)
    out.close()
    err.close()
    children[name] = p
    procs_for_rss[name] = p.pid
    return p


def stop(name, sig=signal.SIGTERM, wait=10):
    p = children.pop(name, None)
    if p is None:
        return
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(wait)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
        except ProcessLookupError:
            pass


def stop_all():
    for name in list(children):
        stop(name)


def first_line(path, p, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path) as f:
                line = f.readline().strip()
                if line:
                    return line
        except FileNotFoundError:
            pass
        if p.poll() is not None:
            raise SystemExit(f"process exited early: {p.args[0]}")
        time.sleep(0.1)
    raise SystemExit(f"no output from {p.args[0]} in {timeout} s")


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    """Proportional set size: PostgreSQL's backends share its buffers, so their RSS would count them N times."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def child_pids(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def psql(sql):
    url = urllib.parse.urlparse(ENV["DATABASE_URL"])
    env = dict(ENV, PGPASSWORD=urllib.parse.unquote(url.password or ""))
    r = subprocess.run([os.path.join(ENV["DRILL_PG_BIN"], "psql"), "-X", "-At", "-h", url.hostname, "-p", str(url.port),
                        "-U", url.username, "-d", url.path.lstrip("/"), "-c", sql],
                       env=env, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip()[:200])
    return r.stdout.strip()


def pg_ctl(action):
    port = str(urllib.parse.urlparse(ENV["DATABASE_URL"]).port)
    argv = [os.path.join(ENV["DRILL_PG_BIN"], "pg_ctl"), "-D", ENV["DRILL_PG_DATA"], "-l", ENV["DRILL_PG_LOG"],
            "-w", "-t", "30", "-m", "fast", "-o", f"-p {port}", action]
    if ENV.get("DRILL_PG_OWNER"):
        argv = ["runuser", "-u", ENV["DRILL_PG_OWNER"], "--"] + argv
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=os.path.dirname(ENV["DRILL_PG_DATA"]))


def pg_pids():
    try:
        with open(os.path.join(ENV["DRILL_PG_DATA"], "postmaster.pid")) as f:
            pm = int(f.readline())
        return [pm] + child_pids(pm)
    except (OSError, ValueError):
        return []


# ---------------------------------------------------------------- HTTP client ---

class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    async def request(self, method, path, headers, body=b""):
        head = f"{method} {path} HTTP/1.1\r\nHost: {SERVER_NAME}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("closed")
        status = int(line.split()[1])
        rh = {}
        while True:
            h = await self.reader.readline()
            if h in (b"\r\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            rh[k.strip().lower()] = v.strip()
        data = b""
        if rh.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    await self.reader.readline()
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readline()
        elif "content-length" in rh:
            data = await self.reader.readexactly(int(rh["content-length"]))
        return status, rh, data

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass


class Client:
    """Keep-alive connection pools per source address, to nginx's HTTPS port (or an app's HTTP port)."""

    def __init__(self, port, tls):
        self.port, self.tls = port, tls
        self.idle = {}
        if tls:
            self.ctx = ssl.create_default_context(cafile=os.path.join(TMP, "tls", "ca.pem"))
        else:
            self.ctx = None

    async def connect(self, src):
        r, w = await asyncio.open_connection("127.0.0.1", self.port, ssl=self.ctx,
                                             server_hostname=SERVER_NAME if self.tls else None,
                                             local_addr=(src, 0), limit=1 << 20)
        return Conn(r, w)

    async def call(self, src, method, path, headers=None, body=b"", timeout=CLIENT_TIMEOUT):
        conns = self.idle.setdefault(src, [])
        conn = conns.pop() if conns else None
        try:
            async def go():
                nonlocal conn
                if conn is None:
                    conn = await self.connect(src)
                    return await conn.request(method, path, headers or {}, body)
                try:
                    return await conn.request(method, path, headers or {}, body)
                except (ConnectionError, asyncio.IncompleteReadError, IndexError, ValueError, ssl.SSLError):
                    # A kept-alive connection the server had closed: one retry on a new one is what
                    # every HTTP client does, only when nothing came back. (Counted: stale_retries.)
                    conn.close()
                    STATS["stale_retries"] += 1
                    conn = await self.connect(src)
                    return await conn.request(method, path, headers or {}, body)
            status, rh, data = await asyncio.wait_for(go(), timeout)
        except asyncio.TimeoutError:
            if conn:
                conn.close()
            return "timeout", {}, b""
        except (OSError, ConnectionError, asyncio.IncompleteReadError, IndexError, ValueError, ssl.SSLError) as e:
            if conn:
                conn.close()
            return "error:" + type(e).__name__, {}, b""
        if rh.get("connection", "").lower() == "close":
            conn.close()
        else:
            conns.append(conn)
        return status, rh, data


STATS = {"stale_retries": 0}


# ------------------------------------------------------------------- the stack ---

class Stack:
    def __init__(self):
        self.enc_key = ENV["DRILL_ENCRYPTION_KEY"]
        self.app_ports = [free_port(), free_port()]
        self.https_port = free_port()
        self.http_port = free_port()
        self.fake_port = None
        self.bots = []       # dicts: token, cred, flow, path, secret
        self.sessions = []   # bearer tokens
        self.ws = None
        self.next_update = random.randint(10 ** 9, 2 * 10 ** 9) * 1000
        self.accepted = set()
        self.unacknowledged = set()   # sent, no 200 (timeout/5xx): may or may not have been stored

    def app_env(self):
        env = {"PATH": ENV["PATH"], "HOME": TMP, "LANG": "C.UTF-8", "SMF_ENV": "development",
               "DATABASE_URL": ENV["DATABASE_URL"], "SMF_HOSTNAME": "127.0.0.1",
               "SMF_ENCRYPTION_KEY": self.enc_key, "SMF_PUBLIC_URL": f"https://{SERVER_NAME}",
               "SMF_LOG_LEVEL": "notice", "SMF_LOG_FORMAT": "json",
               "SMF_TRUSTED_PROXIES": "127.0.0.1/32", "SMF_ADMIN_NETWORKS": "127.0.0.1/32",
               "SMF_RATE_LIMIT_STORE": "postgres", "SMF_INSTANCES": "2", "SMF_BCRYPT_COST": "10",
               "SMF_TELEGRAM_API_URL": f"http://127.0.0.1:{self.fake_port}",
               "SMF_JOB_LEASE_SECONDS": str(LEASE), "SMF_WORKER_CONCURRENCY": ENV.get("DRILL_WORKER_CONCURRENCY", "32")}
        return env

    def start_fake(self):
        p = start("fake-telegram", [sys.executable, os.path.join(ROOT, "benchmarks/drill/fakes.py"),
                                    os.path.join(TMP, "telegram-secrets")],
                  {"PATH": ENV["PATH"], "LLM_DELAY_MS": ENV.get("DRILL_LLM_DELAY_MS", "300")},
                  os.path.join(TMP, "fake.out"), os.path.join(TMP, "fake.log"))
        self.fake_port = int(first_line(os.path.join(TMP, "fake.out"), p))

    def start_app(self, i):
        start(f"app{i}", [os.path.join(BIN, "smflow-testbed"), "serve", "--port", str(self.app_ports[i])],
              self.app_env(), os.path.join(TMP, f"app{i}.out"), os.path.join(TMP, f"app{i}.log"))

    def start_worker(self, i):
        start(f"worker{i}", [os.path.join(BIN, "smflow-testbed"), "worker"], self.app_env(),
              os.path.join(TMP, f"worker{i}.out"), os.path.join(TMP, f"worker{i}.log"))

    async def wait_healthz(self, i, timeout=90):
        c = Client(self.app_ports[i], False)
        deadline = time.time() + timeout
        while time.time() < deadline:
            st, _, _ = await c.call("127.0.0.1", "GET", "/healthz", timeout=2)
            if st == 200:
                return
            if children[f"app{i}"].poll() is not None:
                raise SystemExit(f"app{i} exited; see its log")
            await asyncio.sleep(0.2)
        raise SystemExit(f"app{i} did not answer /healthz in {timeout} s")

    def make_tls(self):
        d = os.path.join(TMP, "tls")
        os.makedirs(d, exist_ok=True)

        def ossl(*a):
            subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=d)
        ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=smflow drill CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", "ca.key", "-out", "ca.pem")
        ossl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={SERVER_NAME}",
             "-keyout", "privkey.pem", "-out", "server.csr")
        with open(os.path.join(d, "server.ext"), "w") as f:
            f.write(f"subjectAltName=DNS:{SERVER_NAME}\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
        ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
             "-extfile", "server.ext", "-out", "cert.pem")
        leaf, ca = open(os.path.join(d, "cert.pem")).read(), open(os.path.join(d, "ca.pem")).read()
        open(os.path.join(d, "fullchain.pem"), "w").write(leaf + ca)
        open(os.path.join(d, "chain.pem"), "w").write(ca)
        os.chmod(d, 0o755)
        for name in os.listdir(d):
            os.chmod(os.path.join(d, name), 0o644)

    def start_nginx(self):
        import shutil
        conf = os.path.join(TMP, "nginx", "conf")
        prefix = os.path.join(TMP, "nginx", "prefix")
        os.makedirs(os.path.join(conf, "conf.d"), exist_ok=True)
        os.makedirs(prefix, exist_ok=True)
        os.chmod(os.path.join(TMP, "nginx"), 0o755)
        os.chmod(prefix, 0o777)
        shipped = os.path.join(ROOT, "deploy", "nginx")
        shutil.copy(os.path.join(shipped, "nginx.conf"), conf)
        shutil.copy(os.path.join(shipped, "ffdhe2048.txt"), conf)
        shutil.copytree(os.path.join(shipped, "snippets"), os.path.join(conf, "snippets"))
        acme = os.path.join(TMP, "nginx", "acme")
        os.makedirs(acme, exist_ok=True)
        template = open(os.path.join(shipped, "templates", "smflow.conf.template")).read()
        # Two app processes: the template's one `server ${SMF_APP_UPSTREAM} max_fails=3 fail_timeout=10s;`
        # line becomes two with the same parameters, as Docker's DNS gives nginx one address per replica.
        values = {"SMF_SERVER_NAME": SERVER_NAME, "SMF_HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
                  "SMF_HTTPS_LISTEN": f"127.0.0.1:{self.https_port}", "SMF_TLS_DIR": os.path.join(TMP, "tls"),
                  "SMF_ACME_ROOT": acme,
                  "SMF_APP_UPSTREAM": f"127.0.0.1:{self.app_ports[0]} max_fails=3 fail_timeout=10s;\n"
                                      f"    server 127.0.0.1:{self.app_ports[1]}"}
        for k, v in values.items():
            assert "${" + k + "}" in template, k
            template = template.replace("${" + k + "}", v)
        left = re.search(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", template)
        assert not left, left
        open(os.path.join(conf, "conf.d", "smflow.conf"), "w").write(template)
        argv = [NGINX, "-p", prefix + "/", "-c", os.path.join(conf, "nginx.conf"), "-e", "stderr"]
        r = subprocess.run(argv + ["-t"], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("nginx -t failed:\n" + r.stderr)
        start("nginx", argv + ["-g", "daemon off;"], {"PATH": ENV["PATH"]}, os.path.join(TMP, "nginx-access.log"),
              os.path.join(TMP, "nginx-error.log"))

    # ------------------------------------------------------------- API setup ---

    async def api(self, client, src, method, path, token=None, body=None, expect=200, headers=None):
        h = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            h["Authorization"] = f"Bearer {token}"
        h.update(headers or {})
        st, rh, data = await client.call(src, method, path, h, json.dumps(body).encode() if body is not None else b"",
                                         timeout=60)
        if st != expect:
            raise SystemExit(f"{method} {path.split('/hooks/')[0]} answered {st}, expected {expect}: {data[:300]!r}")
        return (json.loads(data) if data else None), rh

    async def setup(self, client, n_bots, n_sessions):
        email = ENV["DRILL_EMAIL"]
        password = open(os.path.join(TMP, "password")).read().strip()
        for s in range(n_sessions):
            src = f"127.0.9.{s + 1}"   # one address per sign-in: nginx allows 10 a minute per address
            ans, _ = await self.api(client, src, "POST", "/api/v1/auth/login",
                                    body={"email": email, "password": password, "delivery": "bearer"})
            self.sessions.append(ans["token"])
        tok = self.sessions[0]
        wss, _ = await self.api(client, "127.0.9.1", "GET", "/api/v1/workspaces", tok)
        self.ws = wss[0]["id"]
        wsp = f"/api/v1/workspaces/{self.ws}"
        llm, _ = await self.api(client, "127.0.9.99", "POST", f"{wsp}/credentials", self.sessions[0], expect=201,
                                body={"name": "drill llm", "kind": "llm.openai_compatible",
                                      "fields": {"base_url": f"http://127.0.0.1:{self.fake_port}",
                                                 "api_key": "sk-" + os.urandom(24).hex()}})
        for b in range(n_bots):
            src = f"127.0.9.{100 + b}"
            tok = self.sessions[b % len(self.sessions)]
            bot_token = f"{random.randint(10 ** 8, 10 ** 9 - 1)}:{os.urandom(20).hex()}"
            cred, _ = await self.api(client, src, "POST", f"{wsp}/credentials", tok, expect=201,
                                     body={"name": f"drill bot {b}", "kind": "telegram.bot",
                                           "fields": {"bot_token": bot_token}})
            doc = {"nodes": [
                {"id": "update", "type": "telegram.update", "version": 1, "settings": {"credential": cred["id"]}},
                {"id": "answer", "type": "llm.chat", "version": 1,
                 "settings": {"credential": llm["id"], "model": "gpt-4o-mini", "system_prompt": "You answer shop questions."}},
                {"id": "reply", "type": "telegram.send_message", "version": 1,
                 "settings": {"credential": cred["id"], "text": "{{message.text}}"}}],
                "edges": [{"from": {"node": "update", "port": "message"}, "to": {"node": "answer", "port": "input"}},
                          {"from": {"node": "answer", "port": "output"}, "to": {"node": "reply", "port": "input"}}]}
            flow, rh = await self.api(client, src, "POST", f"{wsp}/flows", tok, expect=201,
                                      body={"name": f"drill flow {b}", "document": doc})
            dep, _ = await self.api(client, src, "POST", f"{wsp}/flows/{flow['id']}/deploy", tok, body={"version": 1},
                                    headers={"If-Match": rh["etag"]})
            path = dep["webhook"]["path"]
            assert path.startswith("/hooks/telegram/")
            self.bots.append({"token": bot_token, "path": path})
        secrets = dict(line.split() for line in open(os.path.join(TMP, "telegram-secrets")))
        for bot in self.bots:
            bot["secret"] = secrets[bot["token"].split(":")[0]]

    # ---------------------------------------------------------- load traffic ---

    def hook_request(self, bot):
        self.next_update += 1
        u = self.next_update
        chat = 100000 + u % 900000
        body = json.dumps({"update_id": u, "message": {"message_id": u % 1000000, "date": int(time.time()),
                                                        "text": f"drill-{u}",
                                                        "from": {"id": chat, "is_bot": False, "first_name": "Drill"},
                                                        "chat": {"id": chat, "type": "private"}}}).encode()
        return u, body, {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": bot["secret"]}


class Recorder:
    def __init__(self):
        self.rows = []   # (kind, status, latency_s, t)
        self.bodies_5xx = []
        self.inflight = 0

    def add(self, kind, status, lat, t, body=b""):
        self.rows.append((kind, status, lat, t))
        if isinstance(status, int) and status >= 500:
            # problem+json "instance" is the request path: the webhook endpoint's token stays out of the results.
            text = body[:2000].decode("utf-8", "replace")
            self.bodies_5xx.append(re.sub(r"(hooks\\?/[a-z]+\\?/)[A-Za-z0-9_-]+", r"\1<token>", text))

    def summary(self, kind=None, t0=None, t1=None):
        rows = [r for r in self.rows if (kind is None or r[0] == kind) and (t0 is None or r[3] >= t0)
                and (t1 is None or r[3] < t1)]
        statuses = {}
        for r in rows:
            statuses[str(r[1])] = statuses.get(str(r[1]), 0) + 1
        lats = sorted(r[2] for r in rows if r[1] == 200)
        return {"requests": len(rows), "ok": len(lats), "statuses": statuses,
                "p50_ms": pct(lats, 50), "p99_ms": pct(lats, 99),
                "5xx": sum(v for k, v in statuses.items() if k.isdigit() and int(k) >= 500),
                "timeouts": statuses.get("timeout", 0),
                "conn_errors": sum(v for k, v in statuses.items() if k.startswith("error"))}

    def leaks(self):
        leaked = [b for b in self.bodies_5xx if LEAK.search(b) and DEV_MARK not in b]
        dev = [b for b in self.bodies_5xx if DEV_MARK in b]
        return leaked, dev


def pct(values, p):
    if not values:
        return None
    return round(values[min(len(values) - 1, int(math.ceil(p / 100 * len(values))) - 1)] * 1000, 2)


async def drive(stack, client, rec, seconds, hook_rate, read_rate, ips, events=None, max_inflight=4000):
    """Open-loop: requests start at fixed intervals whatever the answers do; each one on an idle
    keep-alive connection of its source address, or a new one. events: [(at_seconds, coroutine fn)]."""
    tasks = set()
    t0 = time.monotonic()
    hook_interval = 1.0 / hook_rate if hook_rate > 0 else None
    read_interval = 1.0 / read_rate if read_rate > 0 else None
    next_hook, next_read = t0, t0
    n = 0
    dropped = 0
    pending_events = sorted(events or [], key=lambda e: e[0])
    wsp = f"/api/v1/workspaces/{stack.ws}/flows"

    async def one_hook(bot, src):
        u, body, headers = stack.hook_request(bot)
        t = time.monotonic()
        rec.inflight += 1
        st, _, data = await client.call(src, "POST", bot["path"], headers, body)
        rec.inflight -= 1
        if st == 200 and b'"accepted":1' in data.replace(b" ", b""):
            stack.accepted.add(u)
        else:
            stack.unacknowledged.add(u)
        rec.add("hook", st, time.monotonic() - t, t - t0, data)

    async def one_read(token, src):
        t = time.monotonic()
        rec.inflight += 1
        st, _, data = await client.call(src, "GET", wsp, {"Authorization": f"Bearer {token}"})
        rec.inflight -= 1
        rec.add("read", st, time.monotonic() - t, t - t0, data)

    end = t0 + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        while pending_events and now - t0 >= pending_events[0][0]:
            _, fn = pending_events.pop(0)
            tasks.add(asyncio.ensure_future(fn()))
        fired = False
        if hook_interval and now >= next_hook:
            next_hook += hook_interval
            n += 1
            if len(tasks) < max_inflight:
                bot = stack.bots[n % len(stack.bots)]
                tasks.add(asyncio.ensure_future(one_hook(bot, ips[n % len(ips)])))
            else:
                dropped += 1
            fired = True
        if read_interval and now >= next_read:
            next_read += read_interval
            n += 1
            if len(tasks) < max_inflight:
                tok = stack.sessions[n % len(stack.sessions)]
                tasks.add(asyncio.ensure_future(one_read(tok, ips[(n * 7) % len(ips)])))
            else:
                dropped += 1
            fired = True
        tasks = {t for t in tasks if not t.done()}
        if not fired:
            nxt = min(x for x in (next_hook if hook_interval else None, next_read if read_interval else None, end)
                      if x is not None)
            await asyncio.sleep(max(0.0, min(nxt - time.monotonic(), 0.05)))
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"offered": n, "client_dropped": dropped, "wall_s": round(time.monotonic() - t0, 2)}


def ips_for(rate, base="127.0.10."):
    count = max(2, int(math.ceil(rate / PER_IP_RATE)))
    return [f"{base.rsplit('.', 2)[0]}.{10 + i // 250}.{1 + i % 250}" for i in range(count)]


async def fake_texts(client):
    st, _, data = await client.call("127.0.0.1", "GET", "/_fake/messages", timeout=30)
    if st != 200:
        raise RuntimeError(f"fake /_fake/messages answered {st}")
    return json.loads(data)["texts"]


async def drain(stack, fake, ids, timeout):
    """Waits until every accepted id in ids is delivered (or timeout); returns (texts, seconds waited)."""
    t0 = time.monotonic()
    while True:
        texts = await fake_texts(fake)
        missing = [u for u in ids if f"drill-{u}" not in texts]
        if not missing or time.monotonic() - t0 > timeout:
            return texts, round(time.monotonic() - t0, 2)
        await asyncio.sleep(1.0)


def accounting(stack, texts, ids):
    lost = [u for u in ids if texts.get(f"drill-{u}", 0) == 0]
    # This phase's updates only (accepted or not): earlier phases' texts stay in the fake's log.
    mine = {f"drill-{u}" for u in ids} | {f"drill-{u}" for u in stack.unacknowledged}
    dups_all = {t: c for t, c in texts.items() if c > 1 and t in mine}
    delivered_unacked = sum(1 for u in stack.unacknowledged if texts.get(f"drill-{u}", 0) > 0)
    return {"accepted": len(ids), "executed": sum(1 for u in ids if texts.get(f"drill-{u}", 0) > 0),
            "lost": len(lost), "duplicates": sum(c - 1 for c in dups_all.values()),
            "unacknowledged_sent": len(stack.unacknowledged), "unacknowledged_delivered": delivered_unacked,
            "lost_sample": lost[:5]}


REPEAT_NOTE = "the platform may have received it twice"


def flagged_repeats():
    """Executions whose send step the server marked as repeated after an interrupted attempt
    (ExecutionCheckpoints: the documented at-least-once window of one HTTP round trip)."""
    return int(psql(f"SELECT count(*) FROM executions WHERE steps LIKE '%{REPEAT_NOTE}%'"))


def flag_duplicates(acct, flagged):
    acct["flagged_repeats"] = flagged
    acct["duplicates_unflagged"] = max(0, acct["duplicates"] - flagged)


class RSS:
    def __init__(self):
        self.peak = {}
        self.task = None

    async def run(self):
        while True:
            for name, p in list(children.items()):
                if p.poll() is None:
                    kb = rss_kb(p.pid)
                    if name == "nginx":
                        kb += sum(rss_kb(c) for c in child_pids(p.pid))
                    self.peak[name] = max(self.peak.get(name, 0), kb)
            pg = sum(pss_kb(p) for p in pg_pids())
            self.peak["postgresql"] = max(self.peak.get("postgresql", 0), pg)
            await asyncio.sleep(1.0)

    def __enter__(self):
        self.peak = {}
        self.task = asyncio.ensure_future(self.run())
        return self

    def __exit__(self, *a):
        self.task.cancel()

    def mib(self):
        return {k: round(v / 1024, 1) for k, v in sorted(self.peak.items())}


async def metric_sum(stack, name):
    total = 0.0
    for port in stack.app_ports:
        c = Client(port, False)
        st, _, data = await c.call("127.0.0.1", "GET", "/metrics", timeout=5)
        if st != 200:
            continue
        for line in data.decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
    return total


def dup_note(acct):
    if not acct.get("duplicates"):
        return ""
    return (f" ({acct['flagged_repeats']} executions flagged by the server as 'repeated after an interrupted attempt; "
            f"the platform may have received it twice', {acct['duplicates_unflagged']} duplicates unflagged)")


def fmt_ms(v):
    return "–" if v is None else f"{v:.1f}"


# ----------------------------------------------------------------- scenarios ---

class Drill:
    def __init__(self, stack, client, fake):
        self.stack, self.client, self.fake = stack, client, fake
        self.results = {}
        self.failed = []

    def record(self, name, res, ok, line):
        # The hard gate (DRILL_GATE=accounting, scripts/test): nothing accepted lost, no side effect
        # twice, no 5xx body leaking internals. The scenario's own checks (latency, shedding,
        # recovery times) are in "green" and fail the full drill.
        acct = res.get("accounting", {})
        res["accounting_ok"] = (acct.get("lost", 0) == 0 and acct.get("duplicates_unflagged", acct.get("duplicates", 0)) == 0
                                and res.get("leaked_5xx_bodies", 0) == 0 and "error" not in res)
        res["green"] = ok
        self.results[name] = res
        print(f"{'PASS' if ok else 'FAIL'} {name}: {line}", flush=True)
        if not ok and (GATE == "all" or not res["accounting_ok"]):
            self.failed.append(name)

    async def load_phase(self, seconds, events=None, hook_rate=RATE, read_rate=READ_RATE, ips=None):
        flagged0 = flagged_repeats()
        rec = Recorder()
        before = set(self.stack.accepted)
        self.stack.unacknowledged = set()
        ips = ips or ips_for(hook_rate + read_rate)
        with RSS() as rss:
            load = await drive(self.stack, self.client, rec, seconds, hook_rate, read_rate, ips, events)
            ids = self.stack.accepted - before
            texts, waited = await drain(self.stack, self.fake, ids, timeout=LEASE * 3 + 60)
        acct = accounting(self.stack, texts, ids)
        acct["drain_s"] = waited
        flag_duplicates(acct, flagged_repeats() - flagged0)
        leaked, dev = rec.leaks()
        return rec, load, acct, rss.mib(), leaked, dev

    def common(self, rec, load, acct, rss, leaked, dev, seconds):
        hooks, reads = rec.summary("hook"), rec.summary("read")
        res = {"load": load, "hooks": hooks, "reads": reads, "accounting": acct, "rss_mib": rss, "rss_note": "peak VmRSS per process (nginx: master + workers); postgresql: total PSS",
               "leaked_5xx_bodies": len(leaked), "leaked_samples": leaked[:3],
               "dev_mode_detail_5xx": len(dev), "dev_mode_detail_samples": [d[:300] for d in dev[:2]],
               "req_per_s": round((hooks["requests"] + reads["requests"]) / seconds, 1)}
        line = (f"accepted {acct['accepted']}, executed {acct['executed']}, lost {acct['lost']}, duplicates "
                f"{acct['duplicates']}{dup_note(acct)}; {res['req_per_s']} req/s (hooks {hooks['requests']}, reads {reads['requests']}), "
                f"non-200 hooks {hooks['requests'] - hooks['ok']} reads {reads['requests'] - reads['ok']}, "
                f"5xx {hooks['5xx'] + reads['5xx']}, leaked bodies {len(leaked)}"
                f"{f' (+{len(dev)} development-mode error details)' if dev else ''}; "
                f"p50/p99 hook {fmt_ms(hooks['p50_ms'])}/{fmt_ms(hooks['p99_ms'])} ms, read "
                f"{fmt_ms(reads['p50_ms'])}/{fmt_ms(reads['p99_ms'])} ms; RSS MiB "
                + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))
        base_ok = acct["lost"] == 0 and acct["duplicates"] == 0 and not leaked
        return res, line, base_ok

    async def steady(self):
        rec, load, acct, rss, leaked, dev = await self.load_phase(STEADY_SECONDS)
        res, line, ok = self.common(rec, load, acct, rss, leaked, dev, STEADY_SECONDS)
        h, r = res["hooks"], res["reads"]
        clean = h["ok"] == h["requests"] and r["ok"] == r["requests"]
        res["rate"] = {"hooks_per_s": RATE, "reads_per_s": READ_RATE, "seconds": STEADY_SECONDS}
        self.record("steady", res, ok and clean, f"{STEADY_SECONDS:.0f} s at {RATE:.0f} hooks/s + {READ_RATE:.0f} reads/s: "
                    + line)

    async def worker_kill(self):
        info_ = {}
        victim = "worker0"
        loop = asyncio.get_running_loop()
        lost_lease = "lease expired before the worker reported a result"

        async def q(sql):
            return await loop.run_in_executor(None, psql, sql)

        async def kill():
            children[victim].send_signal(signal.SIGKILL)
            info_["killed_pid"] = children[victim].pid
            info_["killed_at_s"] = round(FAULT_SECONDS / 3, 1)
            # Right after the kill: the jobs still leased, by owner (the dead worker's stay leased until expiry).
            rows = await q("SELECT id || ' ' || coalesce(lease_owner, '-') FROM jobs WHERE state = 'leased'")
            held = dict(r.split(" ", 1) for r in rows.splitlines() if r)
            info_["leased_at_kill"] = len(held)
            recovered = set()
            t0 = time.monotonic()
            # Poll until every job leased at the kill is gone (done) or 3 leases passed.
            while time.monotonic() - t0 < 3 * LEASE + 20:
                rows = await q("SELECT id FROM jobs WHERE last_error LIKE '" + lost_lease + "%'")
                recovered |= set(rows.split())
                left = await q("SELECT count(*) FROM jobs WHERE id IN ('" + "','".join(held) + "')") if held else "0"
                if left == "0":
                    break
                await asyncio.sleep(0.5)
            info_["leased_at_kill_still_present"] = int(left) if held else 0
            info_["recovered_after_lease_expiry"] = len(recovered)
            info_["recovered_within_s"] = round(time.monotonic() - t0, 1)
            owners = {}
            for o in held.values():
                owners[o] = owners.get(o, 0) + 1
            info_["leased_at_kill_by_owner"] = sorted(owners.values(), reverse=True)
        rec, load, acct, rss, leaked, dev = await self.load_phase(FAULT_SECONDS, [(FAULT_SECONDS / 3, kill)])
        children[victim].wait(5)
        children.pop(victim)
        self.stack.start_worker(0)
        res, line, ok = self.common(rec, load, acct, rss, leaked, dev, FAULT_SECONDS)
        res.update(info_, lease_seconds=LEASE)
        ok = ok and info_.get("leased_at_kill_still_present", 1) == 0
        self.record("worker-kill", res, ok, f"kill -9 worker at {info_['killed_at_s']} s: {info_['leased_at_kill']} jobs "
                    f"leased then (per owner {info_['leased_at_kill_by_owner']}), lease {LEASE} s, "
                    f"{info_['recovered_after_lease_expiry']} re-leased after their lease expired, all done within "
                    f"{info_['recovered_within_s']} s (still present: {info_['leased_at_kill_still_present']}); "
                    f"drained in {acct['drain_s']} s after the load; " + line)

    async def app_kill(self):
        info_ = {}
        rec_holder = {}

        async def kill():
            info_["inflight_at_kill"] = rec_holder["rec"].inflight if "rec" in rec_holder else None
            children["app0"].send_signal(signal.SIGKILL)
            info_["killed_at_s"] = round(FAULT_SECONDS / 3, 1)

        # load_phase makes its own Recorder; expose it to the event through a tiny wrapper.
        orig = Recorder.__init__

        def init(selfrec):
            orig(selfrec)
            rec_holder["rec"] = selfrec
        Recorder.__init__ = init
        try:
            rec, load, acct, rss, leaked, dev = await self.load_phase(FAULT_SECONDS, [(FAULT_SECONDS / 3, kill)])
        finally:
            Recorder.__init__ = orig
        children["app0"].wait(5)
        children.pop("app0")
        self.stack.start_app(0)
        await self.stack.wait_healthz(0)
        res, line, ok = self.common(rec, load, acct, rss, leaked, dev, FAULT_SECONDS)
        failed = (res["hooks"]["requests"] - res["hooks"]["ok"]) + (res["reads"]["requests"] - res["reads"]["ok"])
        k = info_["killed_at_s"]
        after = rec.summary(None, k + 2.0, None)
        res.update(info_, failed_requests=failed, failed_after_kill_plus_2s=after["requests"] - after["ok"])
        ok = ok and failed <= max(info_["inflight_at_kill"] or 0, 1) * 2 and after["requests"] == after["ok"]
        self.record("app-kill", res, ok, f"kill -9 app at {k} s with {info_['inflight_at_kill']} requests in flight: "
                    f"{failed} requests failed ({res['failed_after_kill_plus_2s']} of them later than 2 s after the kill); "
                    + line)

    async def db_restart(self):
        info_ = {"readyz_503_after_s": {}, "readyz_200_again_after_s": {}}
        down = float(ENV.get("DRILL_PG_DOWN_SECONDS", "4"))
        errors0 = await metric_sum(self.stack, "db_errors_total")
        pids0 = {n: p.pid for n, p in children.items()}

        async def watch(i, t_stop):
            c = Client(self.stack.app_ports[i], False)
            seen503 = None
            while time.monotonic() - t_stop < 60:
                st, _, _ = await c.call("127.0.0.1", "GET", "/readyz", timeout=3)
                now = time.monotonic() - t_stop
                if seen503 is None and st == 503:
                    seen503 = now
                    info_["readyz_503_after_s"][f"app{i}"] = round(now, 2)
                if seen503 is not None and st == 200 and now > down:
                    info_["readyz_200_again_after_s"][f"app{i}"] = round(now, 2)
                    return
                await asyncio.sleep(0.1)

        async def restart():
            t_stop = time.monotonic()
            watchers = [asyncio.ensure_future(watch(i, t_stop)) for i in range(2)]
            await asyncio.get_running_loop().run_in_executor(None, pg_ctl, "stop")
            info_["stopped_in_s"] = round(time.monotonic() - t_stop, 2)
            await asyncio.sleep(down)
            await asyncio.get_running_loop().run_in_executor(None, pg_ctl, "start")
            info_["started_after_s"] = round(time.monotonic() - t_stop, 2)
            await asyncio.gather(*watchers)
        rec, load, acct, rss, leaked, dev = await self.load_phase(FAULT_SECONDS + down, [(FAULT_SECONDS / 3, restart)])
        errors1 = await metric_sum(self.stack, "db_errors_total")
        restarted = [n for n, p in children.items() if pids0.get(n) != p.pid or p.poll() is not None]
        try:
            events = psql("SELECT count(*) FROM security_events WHERE type LIKE 'monitor%' OR type LIKE '%db%'")
        except RuntimeError as e:
            events = f"query failed: {e}"
        res, line, ok = self.common(rec, load, acct, rss, leaked, dev, FAULT_SECONDS + down)
        ready_ok = (len(info_["readyz_503_after_s"]) == 2 and all(v <= 2.0 + info_.get("stopped_in_s", 0)
                                                                  for v in info_["readyz_503_after_s"].values())
                    and len(info_["readyz_200_again_after_s"]) == 2)
        res.update(info_, down_seconds=down, db_errors_total_delta=errors1 - errors0,
                   processes_restarted_or_dead=restarted, monitor_db_errors_security_events=events)
        after = rec.summary(None, FAULT_SECONDS / 3 + max(info_["readyz_200_again_after_s"].values() or [60]) + 1, None)
        res["non_200_after_recovery_plus_1s"] = after["requests"] - after["ok"]
        ok = ok and ready_ok and not restarted and errors1 > errors0 and after["requests"] == after["ok"]
        self.record("db-restart", res, ok,
                    f"PostgreSQL down {down:.0f} s (stop took {info_.get('stopped_in_s')} s): /readyz 503 after "
                    f"{info_['readyz_503_after_s']} s, 200 again after {info_['readyz_200_again_after_s']} s; "
                    f"db_errors_total +{errors1 - errors0:.0f}; monitor.db-errors security events: {events} "
                    f"(not counted in the verdict: the server writes none); restarted/dead processes: "
                    f"{restarted or 'none'}; non-200 later than 1 s after recovery: {res['non_200_after_recovery_plus_1s']}; "
                    + line)

    async def overload(self):
        # Capacity: closed loop, 64 virtual clients over many addresses and every bot, 5 s.
        flagged0 = flagged_repeats()
        rec = Recorder()
        before = set(self.stack.accepted)
        self.stack.unacknowledged = set()
        ips = ips_for(64 * PER_IP_RATE, "127.0.20.")
        t0 = time.monotonic()
        seconds = 5.0

        async def vu(k):
            while time.monotonic() - t0 < seconds:
                bot = self.stack.bots[k % len(self.stack.bots)]
                u, body, headers = self.stack.hook_request(bot)
                t = time.monotonic()
                st, _, data = await self.client.call(ips[k % len(ips)], "POST", bot["path"], headers, body)
                if st == 200:
                    self.stack.accepted.add(u)
                else:
                    self.stack.unacknowledged.add(u)
                rec.add("hook", st, time.monotonic() - t, t - t0, data)
        await asyncio.gather(*(vu(k) for k in range(64)))
        cap = rec.summary("hook")
        capacity = cap["ok"] / seconds
        offered = 3 * capacity
        over_s = 10.0 if not SHORT else 6.0
        rec2 = Recorder()
        # In flight at most 40 per bot: Telegram's default max_connections per webhook; what it cannot
        # send waits in Telegram's queue (counted as client_dropped: never sent, so never accepted).
        cap_inflight = 40 * len(self.stack.bots)
        with RSS() as rss:
            load = await drive(self.stack, self.client, rec2, over_s, offered, 0, ips_for(offered, "127.0.30."),
                               max_inflight=cap_inflight)
        stop_t = time.monotonic()
        # Recovery: a webhook and a read every 100 ms until 5 in a row succeed.
        probe_ip = "127.0.8.1"
        streak, recovered = 0, None
        while time.monotonic() - stop_t < 30:
            bot = self.stack.bots[0]
            u, body, headers = self.stack.hook_request(bot)
            st, _, data = await self.client.call(probe_ip, "POST", bot["path"], headers, body, timeout=5)
            (self.stack.accepted if st == 200 else self.stack.unacknowledged).add(u)
            st2, _, _ = await self.client.call(probe_ip, "GET", f"/api/v1/workspaces/{self.stack.ws}/flows",
                                               {"Authorization": f"Bearer {self.stack.sessions[0]}"}, timeout=5)
            streak = streak + 1 if st == 200 and st2 == 200 else 0
            if streak == 5:
                recovered = round(time.monotonic() - stop_t - 0.4, 2)
                break
            await asyncio.sleep(0.1)
        ids = self.stack.accepted - before
        texts, waited = await drain(self.stack, self.fake, ids, timeout=LEASE * 3 + 90)
        acct = accounting(self.stack, texts, ids)
        acct["drain_s"] = waited
        flag_duplicates(acct, flagged_repeats() - flagged0)
        rec.rows += rec2.rows
        rec.bodies_5xx += rec2.bodies_5xx
        leaked, dev = rec.leaks()
        s = rec2.summary("hook")
        shed = s["statuses"].get("429", 0) + s["statuses"].get("503", 0)
        shed_lats = sorted(r[2] for r in rec2.rows if r[1] in (429, 503))
        other5xx = s["5xx"] - s["statuses"].get("503", 0)
        res = {"capacity_probe": cap, "capacity_per_s": round(capacity, 1), "offered_per_s": round(offered, 1),
               "load": load, "hooks": s, "shed": shed, "shed_p50_ms": pct(shed_lats, 50), "shed_p99_ms": pct(shed_lats, 99),
               "other_5xx": other5xx, "recovered_after_s": recovered, "accounting": acct, "rss_mib": rss.mib(),
               "leaked_5xx_bodies": len(leaked), "leaked_samples": leaked[:3], "dev_mode_detail_5xx": len(dev)}
        achieved = s["requests"] / over_s
        kept_up = s["p99_ms"] is not None and s["p99_ms"] < 1000
        ok = (acct["lost"] == 0 and acct["duplicates"] == 0 and not leaked and s["timeouts"] == 0
              and s["conn_errors"] == 0 and recovered is not None and recovered <= 5.0 and (shed > 0 or kept_up))
        res["in_flight_cap"] = cap_inflight
        self.record("overload", res, ok,
                    f"capacity {capacity:.0f} accepted/s (closed loop, 64 clients, 5 s); offered 3x = {offered:.0f}/s for "
                    f"{over_s:.0f} s, at most {cap_inflight} in flight (client sent {achieved:.0f}/s, "
                    f"{load['client_dropped']} not sent: cap reached): {s['ok']} accepted, shed {shed} (429/503, p50 "
                    f"{fmt_ms(res['shed_p50_ms'])} ms, p99 {fmt_ms(res['shed_p99_ms'])} ms), other 5xx {other5xx}, "
                    f"timeouts {s['timeouts']}, connection errors {s['conn_errors']}, statuses {s['statuses']}; recovered "
                    f"after {recovered} s; accepted {acct['accepted']}, executed {acct['executed']}, lost {acct['lost']}, "
                    f"duplicates {acct['duplicates']}{dup_note(acct)}, leaked bodies {len(leaked)}; hook p50/p99 {fmt_ms(s['p50_ms'])}/"
                    f"{fmt_ms(s['p99_ms'])} ms")

    async def abuse(self):
        """Credential stuffing (many accounts, one address), a 2,000-path scan, a flood on one account;
        meanwhile a legitimate client on another address keeps reading and posting webhooks."""
        stuff_ip, scan_ip, flood_ip, legit_ip = "127.0.40.1", "127.0.40.2", "127.0.40.3", "127.0.40.4"
        sec0 = psql("SELECT count(*) FROM security_events")
        legit = Recorder()
        stop = asyncio.Event()

        async def legit_loop():
            t0 = time.monotonic()
            while not stop.is_set():
                bot = self.stack.bots[1 % len(self.stack.bots)]
                u, body, headers = self.stack.hook_request(bot)
                t = time.monotonic()
                st, _, data = await self.client.call(legit_ip, "POST", bot["path"], headers, body)
                (self.stack.accepted if st == 200 else self.stack.unacknowledged).add(u)
                legit.add("hook", st, time.monotonic() - t, t - t0, data)
                t = time.monotonic()
                st, _, data = await self.client.call(legit_ip, "GET", f"/api/v1/workspaces/{self.stack.ws}/flows",
                                                     {"Authorization": f"Bearer {self.stack.sessions[1 % len(self.stack.sessions)]}"})
                legit.add("read", st, time.monotonic() - t, t - t0, data)
                await asyncio.sleep(0.25)

        async def stuffing():
            out = {}
            for i in range(60):
                body = json.dumps({"email": f"victim{i}@example.com", "password": f"Guess-{i}-{random.random()}",
                                   "delivery": "bearer"}).encode()
                st, _, _ = await self.client.call(stuff_ip, "POST", "/api/v1/auth/login",
                                                  {"Content-Type": "application/json"}, body)
                out[str(st)] = out.get(str(st), 0) + 1
            return out

        async def scan():
            out = {}

            async def lane(k):
                for i in range(k, 2000, 8):
                    st, _, _ = await self.client.call(scan_ip, "GET", f"/{os.urandom(6).hex()}/{i}")
                    out[str(st)] = out.get(str(st), 0) + 1
            await asyncio.gather(*(lane(k) for k in range(8)))
            return out

        async def flood():
            out = {}
            tok = self.stack.sessions[0]

            async def lane(k):
                for _ in range(100):
                    st, _, _ = await self.client.call(flood_ip, "GET", f"/api/v1/workspaces/{self.stack.ws}/flows",
                                                      {"Authorization": f"Bearer {tok}"})
                    out[str(st)] = out.get(str(st), 0) + 1
            await asyncio.gather(*(lane(k) for k in range(8)))
            return out

        lt = asyncio.ensure_future(legit_loop())
        t0 = time.monotonic()
        stuff, scanned, flooded = await asyncio.gather(stuffing(), scan(), flood())
        elapsed = time.monotonic() - t0
        stop.set()
        await lt
        await asyncio.sleep(2)
        rows = psql("SELECT string_agg(type || '/' || outcome || '=' || n, ' ') FROM (SELECT type, outcome, count(*) n "
                    "FROM security_events GROUP BY type, outcome ORDER BY type, outcome) s")
        sec1 = psql("SELECT count(*) FROM security_events")
        anomalies = psql("SELECT count(*) FROM security_events WHERE type = 'usage.anomaly'")
        throttled = psql("SELECT count(*) FROM security_events WHERE type IN ('login', 'ratelimit.exceeded') "
                         "AND outcome = 'throttled' OR type = 'ratelimit.exceeded'")
        ls = legit.summary()
        leaked, dev = legit.leaks()
        res = {"stuffing_statuses": stuff, "scan_statuses": scanned, "flood_statuses": flooded, "seconds": round(elapsed, 1),
               "legit": ls, "security_events_new": int(sec1) - int(sec0), "security_events_by_type": rows,
               "usage_anomaly_events": int(anomalies), "throttle_events": int(throttled)}
        ok = (ls["ok"] == ls["requests"] and ls["requests"] > 0 and stuff.get("429", 0) > 0
              and flooded.get("429", 0) > 0 and not leaked)
        self.record("abuse", res, ok,
                    f"{elapsed:.1f} s: stuffing 60 sign-ins (60 accounts, one address) -> {stuff}; scan 2,000 random paths "
                    f"-> {scanned}; flood 800 reads on one account -> {flooded}; security events +{res['security_events_new']} "
                    f"(usage.anomaly {anomalies}, throttle/ratelimit {throttled}); legitimate client on another address: "
                    f"{ls['ok']}/{ls['requests']} OK, p99 {fmt_ms(ls['p99_ms'])} ms")

    async def slowloris(self):
        """200 connections that send a request head one byte every few seconds, from 4 addresses;
        meanwhile the steady load runs from others."""
        socks = []
        opened = {"n": 0, "errors": 0, "closed_by_server": 0}
        stop = asyncio.Event()

        async def slow(k):
            try:
                conn = await self.client.connect(f"127.0.50.{1 + k % 4}")
            except (OSError, ssl.SSLError):
                opened["errors"] += 1
                return
            opened["n"] += 1
            socks.append(conn)
            head = b"GET /healthz HTTP/1.1\r\nHost: smflow.test\r\nX-a: "
            try:
                conn.writer.write(head)
                await conn.writer.drain()
                while not stop.is_set():
                    await asyncio.sleep(3)
                    conn.writer.write(b"a")
                    await conn.writer.drain()
                    if conn.reader.at_eof():
                        opened["closed_by_server"] += 1
                        return
            except (OSError, ConnectionError, ssl.SSLError):
                opened["closed_by_server"] += 1
            finally:
                conn.close()
        slows = [asyncio.ensure_future(slow(k)) for k in range(200)]
        await asyncio.sleep(2)
        seconds = 12.0 if SHORT else 20.0
        rec, load, acct, rss, leaked, dev = await self.load_phase(seconds, hook_rate=RATE / 2, read_rate=READ_RATE / 2)
        stop.set()
        await asyncio.gather(*slows, return_exceptions=True)
        res, line, ok = self.common(rec, load, acct, rss, leaked, dev, seconds)
        res["slow_connections"] = opened
        h, r = res["hooks"], res["reads"]
        ok = ok and h["ok"] == h["requests"] and r["ok"] == r["requests"]
        self.record("slowloris", res, ok, f"200 slow connections ({opened['n']} opened, {opened['closed_by_server']} "
                    f"closed by nginx while trickling) for {seconds:.0f} s, other clients at {RATE / 2:.0f} hooks/s + "
                    f"{READ_RATE / 2:.0f} reads/s: " + line)


async def main():
    stack = Stack()
    n_bots = max(2, int(math.ceil(RATE / PER_BOT_RATE)))
    n_sessions = max(2, int(math.ceil(READ_RATE / PER_SESSION_RATE)))
    log(f"starting the fake Telegram, 2 x smflow-testbed serve, 2 x smflow-testbed worker, nginx ({BIN})")
    stack.start_fake()
    for i in range(2):
        stack.start_app(i)
    for i in range(2):
        await stack.wait_healthz(i)
    for i in range(2):
        stack.start_worker(i)
    stack.make_tls()
    stack.start_nginx()
    client = Client(stack.https_port, True)
    fake = Client(stack.fake_port, False)
    deadline = time.time() + 30
    while True:
        st, _, _ = await client.call("127.0.8.9", "GET", "/readyz", timeout=2)
        if st == 200:
            break
        if time.time() > deadline:
            raise SystemExit(f"nginx /readyz answered {st}")
        await asyncio.sleep(0.3)
    log(f"setting up {n_bots} bots (credential, flow, deploy) and {n_sessions} sessions through nginx")
    await stack.setup(client, n_bots, n_sessions)
    drill = Drill(stack, client, fake)
    with open("/proc/loadavg") as f:
        load_start = " ".join(f.read().split()[:3])
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    def write_results(final):
        with open("/proc/loadavg") as f:
            load_end = " ".join(f.read().split()[:3])
        out = {"started": started, "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()) if final else None,
               "short": SHORT, "bin_dir": BIN, "commit": ENV.get("DRILL_COMMIT", "unknown"),
               "machine": {"nproc": os.cpu_count(), "load_average_start": load_start, "load_average_end": load_end,
                           "mem_total_gib": round(int(open("/proc/meminfo").readline().split()[1]) / 1048576, 1)},
               "settings": {"hook_rate": RATE, "read_rate": READ_RATE, "steady_seconds": STEADY_SECONDS,
                            "fault_seconds": FAULT_SECONDS, "lease_seconds": LEASE, "bots": n_bots, "sessions": n_sessions,
                            "apps": 2, "workers": 2, "worker_concurrency": int(ENV.get("DRILL_WORKER_CONCURRENCY", "32")),
                            "llm_delay_ms": int(ENV.get("DRILL_LLM_DELAY_MS", "300"))},
               "stale_connection_retries": STATS["stale_retries"],
               "scenarios": drill.results, "failed": drill.failed}
        with open(RESULTS, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
    order = ["steady", "worker-kill", "app-kill", "db-restart", "overload", "abuse", "slowloris"]
    for name in order:
        if name not in SCENARIOS:
            drill.results[name] = {"green": None, "status": "not run (DRILL_SCENARIOS)"}
            continue
        log(f"scenario {name}")
        try:
            await getattr(drill, name.replace("-", "_"))()
        except Exception as e:  # a broken scenario is a failed one, with its reason
            drill.record(name, {"error": f"{type(e).__name__}: {e}"}, False, f"scenario error: {type(e).__name__}: {e}")
        for n, p in list(children.items()):
            if p.poll() is not None:
                drill.failed.append(f"{n} died")
                print(f"FAIL process {n} exited ({p.returncode}); see {n}.log", flush=True)
        write_results(False)
    write_results(True)
    info(f"results written to {RESULTS}")
    return 1 if drill.failed else 0


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_signal)
    rc = 1
    try:
        rc = asyncio.run(main())
    finally:
        stop_all()
    sys.exit(rc)
