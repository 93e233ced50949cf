"""docs/examples/web-pos.html in a real browser (headless Chromium through chromedriver's W3C
WebDriver API, no client library) against the real daemon's loopback TCP listener.

Run by scripts/browser-test: argv = chromedriver URL, allowed page URL, refused page URL, API
URL, token file, daemon socket. The swipe is simulated on the daemon's Unix socket; everything
else is what the page does: EventSource, balance by readId, redeem.
"""
import json
import subprocess
import sys
import time
import urllib.request

driver, page, foreign_page, api, token_file, socket_path = sys.argv[1:7]
token = open(token_file).read().strip()
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def wd(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(driver + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())["value"]


def socket_call(method, path, body=None):
    args = ["curl", "-s", "--unix-socket", socket_path, "-X", method, "http://localhost" + path]
    if body is not None:
        args += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


session = wd("POST", "/session", {"capabilities": {"alwaysMatch": {
    "browserName": "chrome",
    "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]},
}}})["sessionId"]
S = f"/session/{session}"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def element(css):
    found = wd("POST", S + "/element", {"using": "css selector", "value": css})
    if ELEMENT not in found:
        raise RuntimeError(f"{css}: {found}")
    return found[ELEMENT]


def text(css):
    return wd("GET", f"{S}/element/{element(css)}/text")


def type_into(css, value):
    e = element(css)
    wd("POST", f"{S}/element/{e}/clear", {})
    wd("POST", f"{S}/element/{e}/value", {"text": value})


def click(css):
    wd("POST", f"{S}/element/{element(css)}/click", {})


def wait_text(css, predicate, what, seconds=10):
    deadline = time.time() + seconds
    value = ""
    while time.time() < deadline:
        value = text(css)
        if predicate(value):
            check(True, f"{what}: {value!r}")
            return value
        time.sleep(0.1)
    check(False, f"{what}: {css} is {value!r}")
    return value


try:
    start = socket_call("POST", "/v1/gift/balance", {"cardInfo": {"printedCardNumber": "6035710000000000"}})["currentBalanceMinor"]

    # An allowed origin: connect, see a swipe, its balance, redeem.
    wd("POST", S + "/url", {"url": f"{page}?api={api}"})
    type_into("#token", token)
    click("#connect")
    wait_text("#status", lambda t: t == "connected", "the page is connected (health, then EventSource)")
    socket_call("POST", "/v1/simulate/swipe", {"text": ";6035710000000000=49121200?"})
    wait_text("#reads", lambda t: "603571******0000" in t, "the page shows the card.read, masked")
    wait_text("#balance", lambda t: t == f"{start // 100}.{start % 100:02d} EUR", "the page shows the balance of the card just read")
    type_into("#amount", "4.50")
    click("#redeem")
    result = wait_text("#result", lambda t: t.startswith("Paid"), "the page booked the redeem")
    check("€4.50" in result, "the page shows the amount paid in the shop's format")
    after = socket_call("POST", "/v1/gift/balance", {"cardInfo": {"printedCardNumber": "6035710000000000"}})["currentBalanceMinor"]
    check(after == start - 450, f"the ledger took 4.50: {start} -> {after}")
    page_source = wd("GET", S + "/source")
    check("6035710000000000" not in page_source and "49121200" not in page_source, "no full card number or track data in the page")

    # An origin not in cors-origins: the browser refuses the daemon's answer, nothing is read.
    wd("POST", S + "/url", {"url": f"{foreign_page}?api={api}"})
    type_into("#token", token)
    click("#connect")
    wait_text("#status", lambda t: t.startswith("refused"), "a page from another origin is refused")
    socket_call("POST", "/v1/simulate/swipe", {"text": ";6035710000000000=49121200?"})
    time.sleep(1)
    check(text("#reads") == "", "the refused page saw no read")
finally:
    wd("DELETE", S)

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
