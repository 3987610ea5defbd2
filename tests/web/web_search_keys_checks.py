"""The console's newer keys and limits (browser_test.py runs them): each search
key of issue 21 item 2 gives, through the API, exactly the records a plain
Python filter picks from the whole export (an oracle independent of the
store's SQL), with the total; the form keeps a key and an outcome set; block
explain says what the CLI says; a proxy's header counts only from the trusted
proxy's address; a client's exports beyond the limit get 429."""
import http.client as httpclient
import ipaddress
import json
import subprocess
import urllib.parse

from selenium.webdriver.common.by import By

from webtest_lib import Web, api_rows, check, http, page_clean


def all_records(base):
    status, body = http(base + "/api/v1/export?format=jsonl")
    assert status == 200, body
    return [json.loads(line) for line in body.splitlines()]


def dsn_ok(dsn, key):
    return dsn is not None and (dsn.startswith(key[:-1]) if key.endswith("*") else dsn == key)


def oracles(records):
    """(query, predicate) for each key, with values taken from the corpus."""
    rcpts = [x for r in records for x in r["recipients"]]
    domain = next(x["address"].rsplit("@", 1)[1] for x in rcpts if x["outcome"] == "bounced")
    ip = next(r["client"]["ip"] for r in records if r.get("client") and r["client"].get("ip") and
              ":" not in r["client"]["ip"])
    net = ipaddress.ip_network(ip + "/24", strict=False)
    relay = next(x["relay"] for x in rcpts if x.get("relay") and "[" in x["relay"])
    relay_part = relay.split("[")[0].upper()  # any case
    reject = next(r["reject"]["text"] for r in records if r.get("reject") and r["reject"].get("text"))
    reject_part = reject.split()[-1].lower() if len(reject.split()) > 1 else reject.lower()
    verdicts = [s["verdict"] for r in records for s in r.get("scans", [])]
    rs = lambda r: r["recipients"]
    out = [
        ("domain=@" + domain.upper(),
         lambda r: any(x["address"].lower().endswith("@" + domain) for x in rs(r))),
        ("client-cidr=" + str(net),
         lambda r: bool(r.get("client") and r["client"].get("ip") and ":" not in r["client"]["ip"] and
                        ipaddress.ip_address(r["client"]["ip"]) in net)),
        ("dsn=5.*", lambda r: any(dsn_ok(x.get("dsn"), "5.*") for x in rs(r)) or
         bool(r.get("reject") and dsn_ok(r["reject"].get("dsn"), "5.*"))),
        ("dsn=2.0.0", lambda r: any(dsn_ok(x.get("dsn"), "2.0.0") for x in rs(r)) or
         bool(r.get("reject") and dsn_ok(r["reject"].get("dsn"), "2.0.0"))),
        ("relay=" + relay_part, lambda r: any(relay_part.lower() in (x.get("relay") or "").lower()
                                              for x in rs(r))),
        ("outcome=bounced,deferred",
         lambda r: r["outcome"] in ("bounced", "deferred") or
         (r["outcome"] == "mixed" and any(x["outcome"] in ("bounced", "deferred") for x in rs(r)))),
        ("min-delay=1&max-delay=30",
         lambda r: any(x.get("delay") is not None and 1 - 1e-6 <= x["delay"] <= 30 + 1e-6 for x in rs(r))),
        ("is-bounce=yes", lambda r: r.get("sender") == "" or bool(r.get("ndr_of"))),
        ("is-bounce=no", lambda r: not (r.get("sender") == "" or bool(r.get("ndr_of")))),
        ("has-bounce=yes",
         lambda r: bool(r.get("ndr_qid")) or r["outcome"] == "bounced" or
         (r["outcome"] == "mixed" and any(x["outcome"] == "bounced" for x in rs(r)))),
        ("reject-reason=" + urllib.parse.quote(reject_part.upper()),
         lambda r: bool(r.get("reject") and reject_part in (r["reject"].get("text") or "").lower())),
    ]
    if verdicts:
        v = verdicts[0]
        out.append(("scan-verdict=" + v.lower(),
                    lambda r: any(s["verdict"].lower() == v.lower() for s in r.get("scans", []))))
    return out


def test_search_keys(base, driver):
    records = all_records(base)
    for query, pred in oracles(records):
        want = [(r["host"], r["qid"], r["first_seen"]) for r in records if pred(r)]
        got_records, _ = api_rows(base, query + "&limit=500")
        got = [(r["host"], r["qid"], r["first_seen"]) for r in got_records]
        check(got == want and (want or query.startswith("scan")),
              "search key %s: the API gives the %d records the export's filter picks (%d)" %
              (query, len(want), len(got)))
        status, body = http(base + "/api/v1/messages?" + query + "&limit=1")
        page = json.loads(body)
        check(page["total"] == min(len(want), 10000) and page["total_capped"] == (len(want) > 10000),
              "search key %s: total %d (capped %s)" % (query, page["total"], page["total_capped"]))
    # The form: a key of "More filters" opens it; an outcome set stays selected.
    driver.get(base + "/search?outcome=bounced%2Cdeferred&dsn=5.*")
    details = driver.find_element(By.ID, "more-filters")
    check(details.get_attribute("open") is not None and
          driver.find_element(By.NAME, "dsn").get_attribute("value") == "5.*" and
          driver.find_element(By.NAME, "outcome").get_attribute("value") == "bounced,deferred",
          "search form: More filters open with the key; the outcome set kept")
    check("messages match" in driver.find_element(By.ID, "total").text, "search page: the total")
    driver.find_element(By.CSS_SELECTOR, "#search-form button").click()
    check("outcome=bounced%2Cdeferred" in driver.current_url and "dsn=5.*" in
          urllib.parse.unquote(driver.current_url).replace("%2A", "*"),
          "search form: submitting keeps the set and the key (%s)" % driver.current_url)
    page_clean(driver, base, "search keys")
    status, body = http(base + "/api/v1/messages?dsn=5.x")
    check(status == 400 and "dsn" in body, "a bad DSN key is 400 naming it (%d)" % status)


def test_explain(base, driver, binary, store, key):
    status, body = http(base + "/api/v1/blocks/explain?key=" + urllib.parse.quote(key))
    blocks = json.loads(body)["blocks"] if status == 200 else []
    cli = subprocess.run([binary, "blocks", "explain", "--store", store, key], capture_output=True,
                         text=True).stdout
    check(status == 200 and blocks and blocks[0]["block"]["key"] == key and
          ("why: " + blocks[0]["block"]["reason"]) in cli and
          (("(active)" in cli) == blocks[0]["active"]),
          "explain %s: the API says what `mailtrail blocks explain` says" % key)
    status, _ = http(base + "/api/v1/blocks/explain?key=203.0.113.254")
    check(status == 404, "explain of no block: 404 (%d)" % status)
    driver.get(base + "/blocks")
    driver.find_element(By.CSS_SELECTOR, "#active-blocks a.explain").click()
    text = driver.find_element(By.TAG_NAME, "body").text
    check("Block explained" in text and "Why:" in text, "the blocks page's explain link opens it")
    page_clean(driver, base, "explain")


def get_from(source, port, path, headers):
    """A GET from the local address `source` (127.0.0.x): the server sees it as the peer."""
    c = httpclient.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    try:
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        return r.status, r.read().decode(), r.getheader("Retry-After")
    finally:
        c.close()


def test_proxy_and_export_limit(binary, store):
    web = Web(binary, store, "--proxy-header", "X-Remote-User", "--trusted-proxy", "127.0.0.2/32",
              "--proxy-operators", "olga", "--exports-per-minute", "2")
    port = int(web.base.rsplit(":", 1)[1])
    try:
        status, _, _ = get_from("127.0.0.1", port, "/search", {"X-Remote-User": "vic"})
        check(status == 401, "proxy header from an untrusted address is ignored: 401 (%d)" % status)
        status, _, _ = get_from("127.0.0.2", port, "/search", {})
        check(status == 401, "the trusted proxy without the header: 401 (%d)" % status)
        status, _, _ = get_from("127.0.0.2", port, "/search", {"X-Remote-User": "vic"})
        check(status == 200, "proxy header from the trusted proxy: 200 (%d)" % status)
        # A proxy that appends its header to the client's: the first one
        # (the client's) won. More than one is refused.
        c = httpclient.HTTPConnection("127.0.0.1", port, timeout=60, source_address=("127.0.0.2", 0))
        try:
            c.putrequest("GET", "/search")
            c.putheader("X-Remote-User", "olga")  # the client's: an operator
            c.putheader("X-Remote-User", "vic")   # the proxy's
            c.endheaders()
            status = c.getresponse().status
        finally:
            c.close()
        check(status == 401, "the proxy header twice: 401 (%d)" % status)
        # Exports: two a minute per client, then 429; another user is not held back.
        path = "/api/v1/export?outcome=bounced&format=csv"
        got = [get_from("127.0.0.2", port, path, {"X-Remote-User": "vic"}) for _ in range(3)]
        check([g[0] for g in got] == [200, 200, 429] and got[2][2] and int(got[2][2]) >= 1,
              "exports: the third within a minute is 429 with Retry-After (%s)" %
              [(g[0], g[2]) for g in got])
        status, _, _ = get_from("127.0.0.2", port, path, {"X-Remote-User": "ann"})
        check(status == 200, "exports: another user may still export (%d)" % status)
    finally:
        web.stop()
