#!/usr/bin/python3
"""The web console in a real headless Chromium (Selenium), against `mailtrail
web` over a store replayed from the bundled corpus (SQLite, or a fresh database
of the test MariaDB with --mysql). Fails on any console error and on any request
to another origin. Issue 21 item 10.

usage: browser_test.py MAILTRAIL CORPUS_DIR [--mysql] [--screenshots DIR]
"""
import collections
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import base64

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from webtest_lib import (Web, api_rows, check, failures, find_record, http, new_browser,
                         page_clean, rows_text, wait_for)
from web_security_checks import test_security
from web_search_keys_checks import test_explain, test_proxy_and_export_limit, test_search_keys

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTILE = "<img src=x onerror=alert(1)>"
def test_search_and_permalink(base, driver):
    driver.get(base + "/search")
    driver.find_element(By.NAME, "outcome").send_keys("bounced")
    limit = driver.find_element(By.NAME, "limit")
    limit.clear()
    limit.send_keys("4")
    driver.find_element(By.CSS_SELECTOR, "#search-form button").click()
    wait_for(lambda: "outcome=bounced" in driver.current_url, "the search")
    first = rows_text(driver)
    check(len(first) >= 4, "search: rows on the first page (%d)" % len(first))
    driver.find_element(By.ID, "next-page").click()
    wait_for(lambda: "after=" in driver.current_url, "the next page")
    second_url = driver.current_url
    second = rows_text(driver)
    check(second and not set(second) & set(first), "search: the next page has other rows")
    page_clean(driver, base, "search")
    # The permalink (the URL) in a fresh browser: the same rows, order and filters.
    fresh = new_browser()
    try:
        fresh.get(second_url)
        check(rows_text(fresh) == second, "permalink: a fresh browser shows the same rows in order")
        check(fresh.find_element(By.NAME, "outcome").get_attribute("value") == "bounced" and
              fresh.find_element(By.NAME, "limit").get_attribute("value") == "4",
              "permalink: the form holds the same filters")
        page_clean(fresh, base, "permalink")
    finally:
        fresh.quit()
    # Paging by cursor through every bounced message: the API's records, once each.
    records, _ = api_rows(base, "outcome=bounced&limit=3")
    keys = [(r["host"], r["qid"], r["first_seen"]) for r in records]
    check(len(keys) == len(set(keys)) and len(keys) >= 8,
          "cursor paging: %d records, no duplicates" % len(keys))


def test_hostile_subject_and_csv(base, driver):
    driver.get(base + "/search?" + urllib.parse.urlencode({"subject": "onerror"}))
    cells = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#results td.subject")]
    check(cells == [HOSTILE], "hostile subject: shown as text (%r)" % cells)
    check(not driver.find_elements(By.CSS_SELECTOR, "main img"), "hostile subject: no img element")
    try:
        driver.switch_to.alert
        check(False, "hostile subject: no alert")
    except NoAlertPresentException:
        check(True, "hostile subject: no alert")
    page_clean(driver, base, "hostile search")
    driver.find_element(By.CSS_SELECTOR, "#results a[href^='/message/']").click()
    wait_for(lambda: "/message/" in driver.current_url, "the message page")
    subj = driver.find_element(By.CSS_SELECTOR, "section.message span.subject").text
    check(subj == HOSTILE and not driver.find_elements(By.CSS_SELECTOR, "main img"),
          "hostile subject: shown as text on the message page")
    page_clean(driver, base, "hostile message")
    # The export: CSV rows (one per recipient) equal the API's rows, with the
    # formula-looking sender neutralised; JSONL records equal the API's records.
    for query in ("outcome=bounced", "", "subject=onerror"):
        records, rows = api_rows(base, query + "&limit=500" if query else "limit=500")
        status, body = http(base + "/api/v1/export?" + query + "&format=csv")
        got = list(csv.reader(io.StringIO(body)))
        check(status == 200 and len(got) - 1 == rows,
              "CSV export of '%s': %d rows, the API's %d" % (query, len(got) - 1, rows))
        status, body = http(base + "/api/v1/export?" + query + "&format=jsonl")
        check(len(body.splitlines()) == len(records),
              "JSONL export of '%s': %d records, the API's %d" % (query, len(body.splitlines()), len(records)))
    # The extra keys: HELO and size range find the hostile message (912 bytes).
    for query, want in (("helo=mail.attacker.test", 1), ("helo=mail.attacker.test&min-size=913", 0),
                        ("client-ip=127.0.9.66&min-size=912&max-size=912", 1)):
        records, _ = api_rows(base, query)
        check(len(records) == want and all(r["qid"] == "7B1C210A999" for r in records),
              "search %s: %d record(s), want %d" % (query, len(records), want))
    status, body = http(base + "/api/v1/export?subject=onerror&format=csv")
    row = list(csv.DictReader(io.StringIO(body)))[0]
    check(row["sender"] == "'=cmd@attacker.test" and row["subject"] == HOSTILE,
          "CSV export: formula neutralised, subject kept (%r)" % row["sender"])


def test_message_pages(base, driver):
    # Three recipients: delivered, bounced, and one deferred 5 times until it expired.
    r = find_record(base, lambda r: sorted(x["outcome"] for x in r["recipients"]) ==
                    ["bounced", "delivered", "expired"])
    driver.get(base + "/message/%s/%s" % (r["host"], r["qid"]))
    rows = driver.find_elements(By.CSS_SELECTOR, "section.message table.recipients tbody tr")
    cells = [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]
    by_outcome = {c[2]: c for c in cells}
    check(len(cells) == 3 and set(by_outcome) == {"delivered", "bounced", "expired"},
          "3-recipient message: one row each (%s)" % [c[2] for c in cells])
    exp = by_outcome.get("expired", [""] * 9)
    check(int(exp[3] or 0) > 1 and exp[5] and exp[8],
          "3-recipient message: the deferred one has attempts %s, relay and status text" % exp[3])
    bounced = by_outcome.get("bounced", [""] * 9)
    check(bounced[4].startswith("5.") and bounced[5] and bounced[8],
          "3-recipient message: the bounce has DSN, relay and status text")
    page_clean(driver, base, "3-recipient message")
    # The content filter: the queue id before the filter finds the message, and
    # its page leads to the next leg and back.
    leg = find_record(base, lambda r: r["child_qids"] and not r["parent_qid"])
    driver.get(base + "/search?qid=" + leg["qid"])
    check(len(rows_text(driver)) >= 1, "content filter: the first leg's queue id finds it")
    driver.find_element(By.CSS_SELECTOR, "#results a[href^='/message/']").click()
    driver.find_element(By.CSS_SELECTOR, "section.message a[data-rel='child']").click()
    wait_for(lambda: leg["child_qids"][0] in driver.current_url, "the next leg")
    driver.find_element(By.CSS_SELECTOR, "section.message a[data-rel='parent']").click()
    wait_for(lambda: driver.current_url.endswith("/" + leg["qid"]), "back to the first leg")
    check(True, "content filter: next leg and back")
    page_clean(driver, base, "content filter legs")
    # A bounced message and its NDR link to each other.
    b = find_record(base, lambda r: r["ndr_qid"])
    driver.get(base + "/message/%s/%s" % (b["host"], b["qid"]))
    driver.find_element(By.CSS_SELECTOR, "section.message a[data-rel='ndr']").click()
    wait_for(lambda: driver.current_url.endswith("/" + b["ndr_qid"]), "the NDR")
    driver.find_element(By.CSS_SELECTOR, "section.message a[data-rel='ndr-of']").click()
    wait_for(lambda: driver.current_url.endswith("/" + b["qid"]), "back from the NDR")
    check(True, "bounce and NDR link to each other")
    page_clean(driver, base, "NDR links")


def test_host_with_a_slash(binary, tmp, driver):
    # The records' host is whatever the syslog host field or --host says: one
    # holding "/" was linked as /message/edge%2F1/QID, which the server reads
    # decoded, and answered 404.
    store = "sqlite:" + os.path.join(tmp, "slash.db")
    subprocess.run([binary, "replay", "--quiet", "--store", store, "--host", "edge/1", "--year",
                    "2026", os.path.join(HERE, "data", "hostile-subject.log")], check=True)
    web = Web(binary, store)
    driver.get_log("browser")  # what the pages before did is theirs
    driver.get_log("performance")
    try:
        status, body = http(web.base + "/api/v1/message/edge%2F1/7B1C210A999")
        check(status == 200 and json.loads(body)["records"][0]["host"] == "edge/1",
              "a host holding '/': its record by the API (%d)" % status)
        driver.get(web.base + "/search?qid=7B1C210A999")
        driver.find_element(By.CSS_SELECTOR, "#results a[href^='/message/']").click()
        wait_for(lambda: "/message/" in driver.current_url, "the message page")
        heading = driver.find_element(By.CSS_SELECTOR, "section.message").text
        check("7B1C210A999" in heading and "edge/1" in heading,
              "a host holding '/': its search result opens its page")
        page_clean(driver, web.base, "a host holding '/'")
    finally:
        web.stop()


def test_paging_while_writing(base, binary, store, corpus):
    """Paging through every record (thousands) by cursor while another process
    writes new records: no record twice, none of those there before missing."""
    # A record is its whole JSON: NOQUEUE rejects of one second share host,
    # qid and times. Multisets, since two records may still be equal.
    status, body = http(base + "/api/v1/export?format=jsonl")
    before = collections.Counter(body.splitlines())
    # The writer replays the flood log again and again under new host names
    # (new records) for as long as the paging lasts.
    paging = threading.Event()
    paging.set()
    written = []

    def write():
        while paging.is_set():
            host = "mx%d" % (len(written) + 2)
            subprocess.run([binary, "replay", "--quiet", "--store", store, "--host", host,
                            "--year", "2026", os.path.join(corpus, "05-backscatter-flood.log.gz")],
                           check=True)
            written.append(host)
    writer = threading.Thread(target=write)
    writer.start()
    seen, url, pages = collections.Counter(), base + "/api/v1/messages?limit=50", 0
    try:
        while url:
            status, body = http(url)
            assert status == 200, body
            page = json.loads(body)
            seen.update(json.dumps(r, separators=(",", ":"), ensure_ascii=False)
                        for r in page["records"])
            url = page["next_url"] and base + page["next_url"]
            pages += 1
    finally:
        paging.clear()
        writer.join(timeout=300)
    check(len(written) >= 2, "paging while writing: %d replays written meanwhile" % len(written))
    old = collections.Counter({k: n for k, n in seen.items() if json.loads(k)["host"] == "mx"})
    new = {k: n for k, n in seen.items() if json.loads(k)["host"] != "mx"}
    check(sum(before.values()) >= 2500, "paging while writing: %d records before" % sum(before.values()))
    check(old == before, "paging while writing: the records there before, each once (%d of %d; "
          "%d pages)" % (sum(old.values()), sum(before.values()), pages))
    check(all(n == 1 for n in new.values()),
          "paging while writing: %d new records seen, none twice" % len(new))


def test_status_and_badge(base, driver, db_path):
    driver.get(base + "/search")
    badge = wait_for(lambda: driver.find_element(By.ID, "live-badge").is_displayed() and
                     driver.find_element(By.ID, "live-badge"), "the live badge")
    check(badge.text == "no live agent", "live badge without agents (%r)" % badge.text)
    # An agent's status row, as `mailtrail run` writes it every 10 s.
    now_us = int(time.time() * 1e6)
    subprocess.run(["sqlite3", db_path, "INSERT INTO agent_status VALUES ('mx-live', %d, %d, %d, 1.5, "
                    "1000, 250.0, 3, 120, 7, 0, 0, 0, 0)" % (now_us, now_us - 60_000_000, now_us)],
                   check=True)
    driver.get(base + "/status")
    cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#agents tr:nth-child(2) td")]
    check(cells[:1] == ["mx-live"] and "1000" in cells and "7" in cells,
          "status page: the agent's row (%s)" % cells)
    badge = wait_for(lambda: driver.find_element(By.ID, "live-badge").text.startswith("live"),
                     "the badge to say live") and driver.find_element(By.ID, "live-badge")
    check(badge.text.startswith("live: 1 agent(s)"), "live badge with a fresh agent (%r)" % badge.text)
    page_clean(driver, base, "status")


def test_reports_chart(base, driver):
    """A bar of the reports chart (stacked by outcome) opens the search of its
    hour and outcome, which finds as many messages as the bar's segment says."""
    driver.get(base + "/reports?since=2026-11-27&until=2026-11-28")
    wait_for(lambda: driver.execute_script(
        "var c = document.getElementById('hours-chart');"
        "return c && typeof Chart !== 'undefined' && Chart.getChart(c) !== undefined;"), "the chart")
    bar = driver.execute_script(
        "var c = document.getElementById('hours-chart'), ch = Chart.getChart(c);"
        "var m = ch.getDatasetMeta(0).data[0], r = c.getBoundingClientRect();"
        "return {x: m.x - r.width / 2, y: (m.y + m.base) / 2 - r.height / 2,"
        "        value: ch.data.datasets[0].data[0], outcome: ch.data.datasets[0].label,"
        "        label: JSON.parse(c.dataset.labels)[0]};")
    page_clean(driver, base, "reports")
    ActionChains(driver).move_to_element_with_offset(
        driver.find_element(By.ID, "hours-chart"), int(bar["x"]), int(bar["y"])).click().perform()
    wait_for(lambda: "/search?" in driver.current_url, "the search of the bar's hour")
    query = urllib.parse.urlparse(driver.current_url).query
    params = urllib.parse.parse_qs(query)
    records, _ = api_rows(base, query)
    # The search's outcome also matches a mixed message by its recipients: the
    # segment is the records whose own outcome it is.
    own = sum(1 for r in records if r.get("outcome") == bar["outcome"])
    check(params.get("since") == [bar["label"]] and params.get("outcome") == [bar["outcome"]] and
          bar["value"] > 0 and own == bar["value"],
          "reports: the first bar's %s segment (%s, %d messages) opens its search (%d records, "
          "%d of that outcome)" % (bar["outcome"], bar["label"], bar["value"], len(records), own))
    page_clean(driver, base, "search from the chart")


def test_time_zones(base):
    driver = new_browser(tz="Asia/Kolkata")  # +05:30, no daylight saving
    try:
        driver.get(base + "/search?subject=onerror")
        t = driver.find_element(By.CSS_SELECTOR, "#results time")
        check(t.get_attribute("datetime") == "2026-11-27T13:10:01Z" and
              t.text == "2026-11-27 18:40:01 +05:30", "time zone: local time shown (%r)" % t.text)
        driver.find_element(By.ID, "tz-switch").click()
        t = driver.find_element(By.CSS_SELECTOR, "#results time")
        check(t.text == "2026-11-27 13:10:01 UTC", "time zone: the UTC switch (%r)" % t.text)
        driver.refresh()
        t = driver.find_element(By.CSS_SELECTOR, "#results time")
        check(t.text == "2026-11-27 13:10:01 UTC", "time zone: the switch is remembered")
        page_clean(driver, base, "time zones")
    finally:
        driver.quit()


def screenshots(base, driver, out):
    os.makedirs(out, exist_ok=True)
    r = find_record(base, lambda r: r["child_qids"] and r["recipients"])
    pages = {
        "search": "/search?since=2026-11-27T12:05:00Z&until=2026-11-27T12:10:00Z&limit=25",
        "message": "/message/%s/%s" % (r["host"], r["qid"]),
        "reports": "/reports?since=2026-11-27&until=2026-11-28",
        "blocks": "/blocks",
    }
    for name, path in pages.items():
        driver.get(base + path)
        if name == "reports":
            wait_for(lambda: driver.execute_script(
                "var c = document.getElementById('hours-chart');"
                "return c && typeof Chart !== 'undefined' && Chart.getChart(c) !== undefined;"),
                "the chart to be drawn")
        text = driver.find_element(By.TAG_NAME, "main").text
        height = driver.execute_script("return document.querySelector('main').scrollHeight")
        check(len(text) > 200 and height > 200,
              "screenshot %s: the page is not blank (%d characters)" % (name, len(text)))
        png = base64.b64decode(driver.get_screenshot_as_base64())
        with open(os.path.join(out, "web-%s.png" % name), "wb") as f:
            f.write(png)
        page_clean(driver, base, "screenshot " + name)


def main():
    binary, corpus = sys.argv[1], sys.argv[2]
    mysql = "--mysql" in sys.argv
    shots = sys.argv[sys.argv.index("--screenshots") + 1] if "--screenshots" in sys.argv else None
    tmp = tempfile.mkdtemp(prefix="mt_browser_")
    db = None
    try:
        if mysql:
            sock = os.environ["MAILTRAIL_TEST_MYSQL_SOCKET"]
            db = "web_browser_%d" % os.getpid()
            subprocess.run(["mariadb", "--no-defaults", "-uroot", "-S", sock, "-e",
                            "CREATE DATABASE " + db], check=True)
            store = "mysql://root@localhost/%s?socket=%s" % (db, sock)
            subprocess.run([binary, "db", "migrate", "--store", store], check=True,
                           stdout=subprocess.DEVNULL)
        else:
            store = "sqlite:" + os.path.join(tmp, "corpus.db")
        logs = [os.path.join(corpus, n) for n in ("01-inbound-local.log.gz", "02-smtp-rejects.log.gz",
                "03-outbound-relay-bounce.log.gz", "04-content-filter-amavis.log.gz",
                "06-volume.log.gz")]
        logs.append(os.path.join(HERE, "data", "hostile-subject.log"))
        subprocess.run([binary, "replay", "--quiet", "--store", store, "--detail", "full",
                        "--year", "2026", *logs], check=True)
        # Two blocks by hand (the CLI), for the blocks page: replays make none.
        for kind, key in (("ip", "192.0.2.66"), ("subject", "Undelivered Mail Returned to Sender")):
            subprocess.run([binary, "blocks", "add", "--store", store, "--for", "2h", "--reason",
                            "browser test", kind, key], check=True, stdout=subprocess.DEVNULL)
        web = Web(binary, store)
        driver = None
        try:
            driver = new_browser()
            test_search_and_permalink(web.base, driver)
            test_hostile_subject_and_csv(web.base, driver)
            test_message_pages(web.base, driver)
            test_reports_chart(web.base, driver)
            test_search_keys(web.base, driver)
            test_explain(web.base, driver, binary, store, "192.0.2.66")
            if not mysql:
                test_time_zones(web.base)
                test_status_and_badge(web.base, driver, store[len("sqlite:"):])
                test_paging_while_writing(web.base, binary, store, corpus)
                test_host_with_a_slash(binary, tmp, driver)
            if shots:
                screenshots(web.base, driver, shots)
        finally:
            if driver:
                driver.quit()
            web.stop()
        if not mysql:
            test_security(binary, store, tmp)
            test_proxy_and_export_limit(binary, store)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if db:
            subprocess.run(["mariadb", "--no-defaults", "-uroot", "-S", os.environ["MAILTRAIL_TEST_MYSQL_SOCKET"],
                            "-e", "DROP DATABASE IF EXISTS " + db])
    print("%d check(s) failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
