#include "agent/web/static_assets.h"

namespace mailtrail::web {

// Time stamps: the server writes UTC (<time datetime="...Z">), which is what
// a browser without script shows; with script they show in the browser's
// zone, and the switch in the navigation bar flips to UTC and back (kept in
// localStorage).
const char kConsoleJs[] = R"JS(
'use strict';
(function () {
  var KEY = 'mailtrail.utc';
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function local(d) {
    var off = -d.getTimezoneOffset(), sign = off >= 0 ? '+' : '-';
    off = Math.abs(off);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) +
      ' ' + sign + pad(Math.floor(off / 60)) + ':' + pad(off % 60);
  }
  function utc(d) {
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '') + ' UTC';
  }
  function show() {
    var inUtc = localStorage.getItem(KEY) === '1';
    document.querySelectorAll('time[datetime]').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'));
      if (!isNaN(d)) t.textContent = inUtc ? utc(d) : local(d);
    });
    var b = document.getElementById('tz-switch');
    if (b) {
      b.hidden = false;
      b.textContent = inUtc ? 'Show local time' : 'Show UTC';
      b.setAttribute('aria-pressed', inUtc ? 'true' : 'false');
    }
  }
  // The live badge: how fresh the newest agent status in the store is,
  // every 10 s (GET /api/v1/status; same origin only, CSP connect-src).
  function badge() {
    var el = document.getElementById('live-badge');
    if (!el) return;
    fetch('/api/v1/status', { credentials: 'same-origin' }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (s) {
      if (!s) return;
      var newest = 0;
      s.agents.forEach(function (a) {
        var t = Date.parse(a.updated);
        if (t > newest) newest = t;
      });
      var age = newest ? Math.round((Date.now() - newest) / 1000) : -1;
      el.hidden = false;
      el.className = age >= 0 && age < 60 ? 'live' : 'stale';
      el.textContent = age < 0 ? 'no live agent' :
        (age < 60 ? 'live' : 'stale') + ': ' + s.agents.length + ' agent(s), updated ' + age + ' s ago';
    }).catch(function () {});
  }
  document.addEventListener('DOMContentLoaded', function () {
    badge();
    setInterval(badge, 10000);
    var b = document.getElementById('tz-switch');
    if (b) b.addEventListener('click', function () {
      localStorage.setItem(KEY, localStorage.getItem(KEY) === '1' ? '0' : '1');
      show();
    });
    show();
  });
})();
)JS";

// The reports page's chart, drawn from the canvas's data attributes (the page
// holds no script of its own): messages per hour, stacked by outcome. Without Chart.js the table is
// still there.
const char kChartsJs[] = R"JS(
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  var c = document.getElementById('hours-chart');
  if (!c || typeof Chart === 'undefined') return;
  var labels = JSON.parse(c.getAttribute('data-labels'));
  var values = JSON.parse(c.getAttribute('data-values'));
  // One stacked series per outcome when the page gives them, else the totals.
  var series = JSON.parse(c.getAttribute('data-series') || '{}');
  var colors = { delivered: '#2a7', bounced: '#c33', deferred: '#e90', expired: '#a52',
                 rejected: '#777', discarded: '#96c', held: '#39c', mixed: '#36a', in_flight: '#bbb',
                 deliverable: '#8cb', undeliverable: '#d99' };
  var datasets = Object.keys(series).map(function (name) {
    return { label: name, data: series[name], backgroundColor: colors[name] || '#36a' };
  });
  if (!datasets.length) datasets = [{ label: 'messages', data: values, backgroundColor: '#36a' }];
  new Chart(c, {
    type: 'bar',
    data: { labels: labels.map(function (l) { return l.replace('T', ' ').replace(':00:00Z', 'h UTC'); }),
            datasets: datasets },
    options: {
      animation: false, plugins: { legend: { display: datasets.length > 1 } },
      scales: { x: { stacked: true }, y: { stacked: true } },
      // A bar opens the search of its hour.
      onClick: function (evt, elements) {
        if (!elements.length) return;
        var since = labels[elements[0].index];
        var until = new Date(Date.parse(since) + 3600 * 1000).toISOString().replace('.000Z', 'Z');
        var base = c.getAttribute('data-search');
        // A segment of an outcome opens that outcome's messages of the hour.
        var outcome = Object.keys(series).length ? datasets[elements[0].datasetIndex].label : '';
        location.href = base + (base.endsWith('?') ? '' : '&') + 'since=' +
          encodeURIComponent(since) + '&until=' + encodeURIComponent(until) +
          (outcome ? '&outcome=' + encodeURIComponent(outcome) : '');
      }
    }
  });
});
)JS";

const char kIconSvg[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><rect width=\"16\" "
    "height=\"16\" rx=\"3\" fill=\"#234\"/><path d=\"M3 5h10v7H3z\" fill=\"none\" "
    "stroke=\"#fff\"/><path d=\"M3 5l5 4 5-4\" fill=\"none\" stroke=\"#fff\"/></svg>";

const char kConsoleCss[] = R"CSS(
body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
nav { background: #234; padding: .5em 1em; }
nav a { color: #fff; margin-right: 1em; text-decoration: none; }
nav button { float: right; }
#live-badge { color: #fff; font-size: .85em; padding: 0 .5em; }
#live-badge.live { background: #2a7; }
#live-badge.stale { background: #a52; }
main { padding: 1em; }
form label { display: inline-block; margin: .2em .6em .2em 0; font-size: .9em; }
table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .2em .4em; text-align: left; vertical-align: top; }
th { background: #eee; }
td.subject, span.subject { max-width: 30em; overflow-wrap: anywhere; }
.error { color: #a00; font-weight: bold; }
section { border-top: 2px solid #234; margin-top: 1em; }
)CSS";

}  // namespace mailtrail::web
