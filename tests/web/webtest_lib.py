"""Helpers of the web console's browser tests (browser_test.py): checks that
count failures, waiting, one `mailtrail web` process, HTTP, a headless
Chromium whose console and requests are watched."""
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def wait_for(cond, what, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


class Web:
    """One `mailtrail web` process, stopped by its PID."""

    def __init__(self, binary, store, *extra):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([binary, "web", "--store", store, "--listen", "127.0.0.1:0", *extra],
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)

        def port():
            self.stderr.seek(0)
            m = re.search(rb"serving http://127\.0\.0\.1:(\d+)/", self.stderr.read())
            if self.proc.poll() is not None:
                raise AssertionError("mailtrail web exited: " + str(self.proc.returncode))
            return m and int(m.group(1))
        self.base = "http://127.0.0.1:%d" % wait_for(port, "mailtrail web to listen")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def http(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def new_browser(tz=None):
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
              "--disable-background-networking", "--disable-component-update", "--no-first-run",
              "--disable-sync", "--disable-default-apps"):
        opts.add_argument(a)
    opts.binary_location = "/usr/bin/chromium"
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    env = dict(os.environ)
    if tz:
        env["TZ"] = tz
    service = Service(executable_path="/usr/bin/chromedriver", env=env)
    return webdriver.Chrome(options=opts, service=service)


def page_clean(driver, base, what):
    """No console error, no request to another origin, since the last call."""
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    check(not errors, what + ": no console errors " + (str(errors) if errors else ""))
    foreign = []
    for e in driver.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m.get("method") == "Network.requestWillBeSent":
            url = m["params"]["request"]["url"]
            if not (url.startswith(base + "/") or url.startswith("data:") or url == "about:blank"):
                foreign.append(url)
    check(not foreign, what + ": no request to another origin " + (str(foreign) if foreign else ""))


def rows_text(driver):
    return [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")]


def api_rows(base, query):
    """Every record of a search through the API, by cursor; (records, recipient rows)."""
    records, url = [], base + "/api/v1/messages?" + query
    while url:
        status, body = http(url)
        assert status == 200, body
        page = json.loads(body)
        records += page["records"]
        url = page["next_url"] and base + page["next_url"]
    return records, sum(max(1, len(r["recipients"])) for r in records)


def find_record(base, pred):
    status, body = http(base + "/api/v1/export?format=jsonl")
    for line in body.splitlines():
        r = json.loads(line)
        if pred(r):
            return r
    raise AssertionError("no such record in the corpus")


