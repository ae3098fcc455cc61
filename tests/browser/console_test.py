#!/usr/bin/env python3
"""The web console in headless Chromium (issue 11), driven by selenium.

Run by scripts/lib/console.sh against a live `smflow-testbed serve --with-worker`
(fresh SQLite, fake Telegram behind tests/browser/telegram_proxy.py):

  1. signs in through the form (session cookie + CSRF token);
  2. stores a telegram.bot credential (the list shows only its masked hint);
  3. builds a 3-node flow on the SVG canvas — Telegram update → Text template →
     Telegram send message — by adding nodes from the palette, filling the
     forms generated from the node schemas, dragging a node, and connecting
     ports by dragging from an output to an input; saves, deploys;
  4. fires a Telegram update at the deployed webhook (secret token from the
     proxy's file) and watches the execution appear in the list without a
     reload, then follows it live (SSE) on its page until it succeeded;
     then saves and deploys version 2 and rolls back to version 1; a lone
     action's validation problems appear on its node;
  5. XSS: a flow named <img src=x onerror=alert(1)> with a node setting
     <script>alert(1)</script> renders as text, no element is created from it,
     and no dialog opens;
  6. screenshots of the main pages at 1280x800 and 390x844 into ARTIFACTS;
  7. signs out (the console is back at the sign-in form; the API says 401);
  8. fails if the browser log holds any Content-Security-Policy violation;
  9. finally provokes one violation on purpose (an inline script added through
     DevTools) and checks the server received its report (the caller greps the
     server log for it: POST /api/v1/csp-reports).

    console_test.py BASE_URL EMAIL PASSWORD_FILE SECRET_FILE ARTIFACTS_DIR

Prints "RESULT {json}" as its last line; exit 0 only when every check passed.
"""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

BASE, EMAIL, PASSWORD_FILE, SECRET_FILE, ARTIFACTS = sys.argv[1:6]
PASSWORD = open(PASSWORD_FILE, encoding="utf-8").read().strip()
BOT_TOKEN = os.environ.get("SMF_CONSOLE_BOT_TOKEN", "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ")
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_SETTING = "<script>alert(1)</script>"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}

checks = []
browser_log = []


def check(name, ok, detail=""):
    checks.append({"check": name, "ok": bool(ok), "detail": detail})
    print(f"    {'ok  ' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}", flush=True)
    return ok


def make_driver():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("SMF_CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                     "--disable-dev-shm-usage", "--disable-extensions", "--disable-background-networking",
                     "--window-size=1280,800", "--lang=en-US",
                     # Reporting API (report-to) deliveries within a second, not after a minute.
                     "--short-reporting-delay"):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(os.environ.get("SMF_CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


def drain_log(driver):
    for entry in driver.get_log("browser"):
        browser_log.append(entry)


def csp_violations(entries):
    pattern = re.compile(r"Content Security Policy|Refused to (load|execute|apply|connect|frame|evaluate)|violates the following", re.I)
    return [e for e in entries if pattern.search(e.get("message", ""))]


def wait(driver, seconds=10):
    return WebDriverWait(driver, seconds, poll_frequency=0.1)


def visit(driver, hash_):
    driver.get(f"{BASE}/console/{hash_}")
    wait(driver).until(lambda d: d.execute_script("return !!document.querySelector('main h1')"))


def text_of(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector).text


def type_into(element, text):
    element.clear()
    element.send_keys(text)
    element.send_keys(Keys.TAB)  # change event


def sign_in(driver):
    visit(driver, "#/signin")
    driver.find_element(By.NAME, "email").send_keys(EMAIL)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "sign-in").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "workspace-switcher")))
    wait(driver).until(lambda d: "Flows" in d.find_element(By.CSS_SELECTOR, "main h1").text)


def no_dialog(driver):
    try:
        alert = driver.switch_to.alert
        text = alert.text
        alert.dismiss()
        return False, text
    except NoAlertPresentException:
        return True, ""


def add_node(driver, type_id):
    before = len(driver.find_elements(By.CSS_SELECTOR, "g[data-node]"))
    driver.find_element(By.CSS_SELECTOR, f'button.palette-item[data-type="{type_id}"]').click()
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "g[data-node]")) == before + 1)
    return driver.find_element(By.CSS_SELECTOR, "g.node.selected").get_attribute("data-node")


def choose_credential(driver):
    select = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".inspector select[name=credential]")))
    wait(driver).until(lambda d: len(select.find_elements(By.TAG_NAME, "option")) > 1)
    Select(select).select_by_index(1)


def connect(driver, from_node, from_port, to_node, to_port):
    source = driver.find_element(By.CSS_SELECTOR, f'circle[data-node="{from_node}"][data-port="{from_port}"][data-kind="out"]')
    target = driver.find_element(By.CSS_SELECTOR, f'circle[data-node="{to_node}"][data-port="{to_port}"][data-kind="in"]')
    ActionChains(driver).move_to_element(source).click_and_hold().pause(0.1).move_to_element(target).pause(0.1).release().perform()
    selector = f'path[data-edge="{from_node}.{from_port}->{to_node}.{to_port}"]'
    wait(driver, 5).until(EC.presence_of_element_located((By.CSS_SELECTOR, selector)))


def status_text(driver):
    return driver.find_element(By.ID, "editor-status").text


def build_flow(driver):
    visit(driver, "#/flows/new")
    type_into(driver.find_element(By.ID, "flow-name"), "Echo bot")
    trigger = add_node(driver, "telegram.update")
    choose_credential(driver)
    template = add_node(driver, "text.template")
    type_into(driver.find_element(By.CSS_SELECTOR, ".inspector textarea[name=template]"), "Thanks, we got your message.")
    send = add_node(driver, "telegram.send_message")
    choose_credential(driver)
    type_into(driver.find_element(By.CSS_SELECTOR, ".inspector textarea[name=text]"), "Thanks, we got your message.")
    # Drag the template node down a little (drag to move).
    body = driver.find_element(By.CSS_SELECTOR, f'g[data-node="{template}"] rect.node-body')
    before = driver.find_element(By.CSS_SELECTOR, f'g[data-node="{template}"]').get_attribute("transform")
    ActionChains(driver).move_to_element(body).click_and_hold().pause(0.1).move_by_offset(0, 60).pause(0.1).release().perform()
    after = driver.find_element(By.CSS_SELECTOR, f'g[data-node="{template}"]').get_attribute("transform")
    check("canvas: dragging a node moves it", before != after, f"{before} -> {after}")
    # Keyboard: focus the trigger, move it with an arrow key.
    node = driver.find_element(By.CSS_SELECTOR, f'g[data-node="{trigger}"]')
    driver.execute_script("arguments[0].focus()", node)
    before = node.get_attribute("transform")
    ActionChains(driver).send_keys(Keys.ARROW_DOWN).perform()
    moved = driver.find_element(By.CSS_SELECTOR, f'g[data-node="{trigger}"]').get_attribute("transform")
    focused = driver.execute_script("return document.activeElement && document.activeElement.dataset.node")
    check("canvas: arrow key moves the focused node, focus stays on it", before != moved and focused == trigger, f"{before} -> {moved}")
    connect(driver, trigger, "message", template, "input")
    connect(driver, template, "output", send, "input")
    check("canvas: two edges drawn by dragging between ports", len(driver.find_elements(By.CSS_SELECTOR, "path.edge")) == 2)
    driver.find_element(By.ID, "save-flow").click()
    wait(driver).until(lambda d: "Saved version" in status_text(d) or "error" in status_text(d).lower())
    check("editor: save", "Saved version 1" in status_text(driver), status_text(driver))
    driver.find_element(By.ID, "deploy-flow").click()
    wait(driver, 20).until(lambda d: "Deployed version" in status_text(d) or d.find_elements(By.CSS_SELECTOR, "#editor-status .error"))
    deployed = status_text(driver)
    check("editor: deploy", "Deployed version 1" in deployed, deployed)
    match = re.search(r"/hooks/telegram/[A-Za-z0-9_-]{43}", deployed)
    return (match.group(0) if match else None), driver.execute_script("return location.hash")


def fire_webhook(path):
    secret = open(SECRET_FILE, encoding="utf-8").read().strip()
    update = {"update_id": 424242, "message": {"message_id": 7, "date": int(time.time()),
              "chat": {"id": 99, "type": "private"}, "from": {"id": 99, "is_bot": False, "first_name": "Ana"}, "text": "hello"}}
    request = urllib.request.Request(BASE + path, data=json.dumps(update).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.load(response)


def watch_execution(driver, path):
    visit(driver, "#/executions")
    rows_before = len(driver.find_elements(By.CSS_SELECTOR, "tr[data-execution]"))
    status, body = fire_webhook(path)
    check("webhook: fake Telegram update accepted", status == 200 and body.get("accepted") == 1, json.dumps(body))
    try:
        wait(driver, 15).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr[data-execution]")) > rows_before)
        appeared = True
    except TimeoutException:
        appeared = False
    check("executions: the run appears in the list without a reload", appeared)
    if not appeared:
        return
    driver.find_element(By.CSS_SELECTOR, "tr[data-execution] a").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "execution-status")))
    try:
        wait(driver, 30).until(lambda d: d.find_element(By.ID, "execution-status").text in ("succeeded", "failed", "dead"))
    except TimeoutException:
        pass
    final = driver.find_element(By.ID, "execution-status").text
    steps = len(driver.find_elements(By.CSS_SELECTOR, "tr[data-step]"))
    check("execution page: followed live to the end (SSE)", final == "succeeded" and steps == 3,
          f"status {final}, {steps} steps, {driver.find_element(By.ID, 'execution-live').text}")


def problems_on_nodes(driver):
    visit(driver, "#/flows/new")
    lonely = add_node(driver, "telegram.send_message")
    driver.find_element(By.ID, "validate-flow").click()
    try:
        wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, f'g.node.has-error[data-node="{lonely}"]')))
        listed = driver.find_element(By.ID, "node-problems").text
        ok = bool(listed)
    except TimeoutException:
        ok, listed = False, ""
    check("editor: validation problems shown on their node", ok, listed.replace("\n", " | ")[:160])
    # Leave by the router (a hash change), so the next "new flow" starts empty.
    driver.execute_script("window.location.hash = '#/flows'")
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "main h1").text == "Flows")


def unlabelled_controls(driver):
    return driver.execute_script("""
        return [...document.querySelectorAll('input, select, textarea')].filter(e =>
            e.type !== 'hidden' && !e.labels.length && !e.getAttribute('aria-label')).map(e => e.name || e.id || e.tagName);""")


def rollback(driver, editor_hash):
    """Version 2 saved and deployed, then version 1 deployed again (each write with If-Match)."""
    visit(driver, editor_hash)
    type_into(driver.find_element(By.ID, "flow-comment"), "second version")
    type_into(driver.find_element(By.ID, "flow-name"), "Echo bot")
    driver.find_element(By.ID, "save-flow").click()
    wait(driver).until(lambda d: "Saved version" in status_text(d) or d.find_elements(By.CSS_SELECTOR, "#editor-status .error"))
    check("editor: a second save (If-Match)", "Saved version 2" in status_text(driver), status_text(driver))
    driver.find_element(By.ID, "deploy-flow").click()
    wait(driver, 20).until(lambda d: "Deployed version" in status_text(d) or d.find_elements(By.CSS_SELECTOR, "#editor-status .error"))
    check("editor: deploy version 2", "Deployed version 2" in status_text(driver), status_text(driver))
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rollback-version option")) == 2)
    Select(driver.find_element(By.ID, "rollback-version")).select_by_value("1")
    driver.find_element(By.ID, "rollback-flow").click()
    wait(driver, 20).until(lambda d: "Deployed version 1" in status_text(d) or d.find_elements(By.CSS_SELECTOR, "#editor-status .error"))
    check("editor: rollback to version 1", "live version 1" in driver.find_element(By.ID, "flow-info").text, status_text(driver))


def workspace_pages(driver):
    visit(driver, "#/members")
    wait(driver).until(lambda d: EMAIL in d.find_element(By.ID, "members").text)
    driver.find_element(By.ID, "invite-email").send_keys("new.editor@console.example")
    driver.find_element(By.CSS_SELECTOR, "form[aria-labelledby=invite-title] button[type=submit]").click()
    wait(driver).until(lambda d: "new.editor@console.example" in d.find_element(By.ID, "invitations").text)
    check("members: invitation sent and listed", True)
    visit(driver, "#/api-keys")
    driver.find_element(By.ID, "key-name").send_keys("ci")
    driver.find_element(By.ID, "scope-flows-read").click()
    driver.find_element(By.CSS_SELECTOR, "form[aria-labelledby=key-title] button[type=submit]").click()
    wait(driver).until(lambda d: "smf_live_" in d.find_element(By.ID, "new-key").text)
    key = re.search(r"smf_live_[A-Za-z0-9_-]{43}", driver.find_element(By.ID, "new-key").text)
    listed = driver.find_element(By.ID, "api-keys").text
    check("api keys: created, shown once, listed by hint only", key is not None and key.group(0) not in listed and "ci" in listed)


def xss(driver):
    visit(driver, "#/flows/new")
    type_into(driver.find_element(By.ID, "flow-name"), XSS_NAME)
    trigger = add_node(driver, "manual")
    template = add_node(driver, "text.template")
    type_into(driver.find_element(By.CSS_SELECTOR, ".inspector textarea[name=template]"), XSS_SETTING)
    connect(driver, trigger, "message", template, "input")
    driver.find_element(By.ID, "save-flow").click()
    wait(driver).until(lambda d: "Saved version" in status_text(d) or d.find_elements(By.CSS_SELECTOR, "#editor-status .error"))
    check("xss: flow with a script-like name and setting saved", "Saved version" in status_text(driver), status_text(driver))
    label = driver.find_element(By.CSS_SELECTOR, f'g[data-node="{template}"] text.node-id').get_attribute("textContent")
    check("xss: node setting drawn as text on the canvas", label.startswith("<script>alert(1)"), label)
    check("xss: flow name in the heading as text", driver.find_element(By.CSS_SELECTOR, "main h1").text == f"Flow: {XSS_NAME}")
    visit(driver, "#/flows")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.flow-link")))
    names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "a.flow-link")]
    check("xss: flow name listed as text", XSS_NAME in names, json.dumps(names))
    injected = driver.execute_script("return document.querySelectorAll('main img, main script, svg script').length")
    check("xss: no element created from user data", injected == 0, f"{injected} img/script elements")
    time.sleep(0.5)
    ok, text = no_dialog(driver)
    check("xss: no dialog opened", ok, text)


def screenshots(driver):
    pages = [("flows", "#/flows"), ("executions", "#/executions"), ("credentials", "#/credentials"),
             ("members", "#/members"), ("api-keys", "#/api-keys"), ("security-events", "#/security-events"),
             ("audit", "#/audit")]
    flow_link = None
    visit(driver, "#/flows")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.flow-link")))
    for link in driver.find_elements(By.CSS_SELECTOR, "a.flow-link"):
        if link.text == "Echo bot":
            flow_link = link.get_attribute("href").split("/console/", 1)[1]
    if flow_link:
        pages.insert(1, ("editor", flow_link))
    saved = []
    for size, (width, height) in SIZES.items():
        driver.set_window_size(width, height)
        for name, hash_ in pages:
            visit(driver, hash_)
            time.sleep(0.4)
            path = os.path.join(ARTIFACTS, f"{size}-{name}.png")
            driver.save_screenshot(path)
            saved.append(path)
            wide = driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth + 1")
            if size == "desktop":
                missing = unlabelled_controls(driver)
                check(f"a11y: every control on {name} has a label", not missing, json.dumps(missing))
            if name != "editor":
                check(f"layout: {name} fits {width}px without horizontal scrolling", not wide)
    driver.set_window_size(*SIZES["desktop"])
    return saved


def sign_out(driver):
    visit(driver, "#/flows")
    driver.find_element(By.ID, "sign-out").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "sign-in")))
    me = driver.execute_script("return fetch('/api/v1/auth/me', {credentials: 'same-origin'}).then(r => r.status)")
    check("sign out: back at the sign-in form, the session is gone", me == 401, f"/auth/me → {me}")
    driver.set_window_size(*SIZES["phone"])
    driver.save_screenshot(os.path.join(ARTIFACTS, "phone-signin.png"))
    driver.set_window_size(*SIZES["desktop"])
    driver.save_screenshot(os.path.join(ARTIFACTS, "desktop-signin.png"))


def provoke_violation(driver):
    """One inline script on purpose: the browser must block it and report it."""
    visit(driver, "#/signin")
    driver.execute_script("const s = document.createElement('script'); s.textContent = 'window.smfInline = 1'; document.head.append(s);")
    time.sleep(0.3)
    ran = driver.execute_script("return window.smfInline === 1")
    check("csp: an inline script is blocked", not ran)
    # Keep the browser open until the report has been delivered (the caller checks the server log).
    server_log = os.environ.get("SMF_CONSOLE_SERVER_LOG")
    deadline = time.time() + 20
    while server_log and time.time() < deadline:
        with open(server_log, encoding="utf-8", errors="replace") as handle:
            if "content security policy violation" in handle.read():
                break
        time.sleep(0.2)


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    started = time.time()
    driver = make_driver()
    violations = []
    try:
        sign_in(driver)
        check("sign in through the form", True)
        visit(driver, "#/credentials")
        type_into(driver.find_element(By.ID, "credential-name"), "Support bot")
        driver.find_element(By.ID, "credential-bot_token").send_keys(BOT_TOKEN)
        driver.find_element(By.ID, "create-credential").click()
        wait(driver).until(lambda d: "Support bot" in d.find_element(By.ID, "credentials").text)
        listed = driver.find_element(By.ID, "credentials").text
        check("credentials: stored, listed masked", BOT_TOKEN not in listed and "bot_token: …" in listed, listed.replace("\n", " | ")[:200])
        path, editor_hash = build_flow(driver)
        check("deploy: webhook path shown", path is not None)
        if path:
            watch_execution(driver, path)
        rollback(driver, editor_hash)
        problems_on_nodes(driver)
        workspace_pages(driver)
        xss(driver)
        saved = screenshots(driver)
        check("screenshots saved", len(saved) >= 14, f"{len(saved)} in {ARTIFACTS}")
        sign_out(driver)
        drain_log(driver)
        violations = csp_violations(browser_log)
        check("browser log: zero CSP violations during the run", not violations,
              "; ".join(v["message"][:160] for v in violations[:3]))
        provoke_violation(driver)
        drain_log(driver)
    except Exception as error:  # a failed wait: record it with a screenshot
        check("no unexpected error", False, f"{type(error).__name__}: {str(error)[:300]}")
        try:
            driver.save_screenshot(os.path.join(ARTIFACTS, "failure.png"))
            drain_log(driver)
        except Exception:
            pass
    finally:
        driver.quit()
    with open(os.path.join(ARTIFACTS, "browser-log.json"), "w", encoding="utf-8") as handle:
        json.dump(browser_log, handle, indent=1)
    failed = [c for c in checks if not c["ok"]]
    summary = {"checks": len(checks), "failed": len(failed), "csp_violations": len(violations),
               "seconds": round(time.time() - started, 1), "log_entries": len(browser_log)}
    print("RESULT " + json.dumps(summary), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
