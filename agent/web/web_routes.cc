// The console's routes: each reads its values through console_data.h and
// writes them with render.h (pages) or api_json.h (/api/v1). Read-only: no
// route changes anything, so none answers anything but GET (and HEAD).
#include <httplib.h>
#include <algorithm>

#include <memory>

#include "agent/cli/block_explain.h"
#include "agent/report/summary.h"
#include "agent/report/summary_part.h"
#include "agent/track/record_json.h"
#include "agent/web/api_json.h"
#include "agent/web/export_stream.h"
#include "agent/web/render.h"
#include "agent/web/static_assets.h"
#include "agent/web/web_server.h"
#include "base/text.h"

namespace mailtrail::web {

namespace {

constexpr int64_t kExportChunk = 1000;  // records read per store turn while exporting

StatusOr<WebSearch> ParseRequest(const httplib::Request& req) {
  return ParseSearchParams([&req](const char* name) -> std::optional<std::string> {
    if (!req.has_param(name)) return std::nullopt;
    return req.get_param_value(name);
  });
}

void JsonError(httplib::Response& res, int status, const std::string& message) {
  std::string body = "{\"error\":";
  AppendJsonString(&body, message);
  body += "}";
  res.status = status;
  res.set_content(body, "application/json");
}

int HttpStatusOf(const Status& st) {
  switch (st.code()) {
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kNotFound:
      return 404;
    default:
      return 500;
  }
}

void Html(httplib::Response& res, std::string page) {
  res.set_content(std::move(page), "text/html; charset=utf-8");
}

}  // namespace

void WebServer::AddRoutes() {
  AddSearchRoutes();
  AddMessageRoutes();
  AddBlockRoutes();
  AddReportRoutes();
  AddStatusRoutes();
  AddStaticRoutes();
}

// The search page, its API and the export of the same search.
void WebServer::AddSearchRoutes() {
  httplib::Server& s = *server_;
  s.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/search"); });

  s.Get("/search", [this](const httplib::Request& req, httplib::Response& res) {
    auto search = ParseRequest(req);
    if (!search.ok()) {
      res.status = 400;
      return Html(res, RenderSearchError(search.status().message()));
    }
    auto page = store_->With([&](Store& st) { return FetchSearchPage(st, search->query); });
    if (!page.ok()) {
      res.status = HttpStatusOf(page.status());
      return Html(res, RenderSearchError(page.status().message()));
    }
    Html(res, RenderSearchPage(*search, *page));
  });

  s.Get("/api/v1/messages", [this](const httplib::Request& req, httplib::Response& res) {
    auto search = ParseRequest(req);
    if (!search.ok()) return JsonError(res, 400, search.status().message());
    auto page = store_->With([&](Store& st) { return FetchSearchPage(st, search->query); });
    if (!page.ok()) return JsonError(res, HttpStatusOf(page.status()), page.status().message());
    res.set_content(SearchPageJson(*search, *page), "application/json");
  });

  // The whole search, streamed a chunk of records at a time (the store is
  // shared between chunks), with no row cap.
  s.Get("/api/v1/export", [this](const httplib::Request& req, httplib::Response& res) {
    auto search = ParseRequest(req);
    if (!search.ok()) return JsonError(res, 400, search.status().message());
    const std::string format = req.has_param("format") ? req.get_param_value("format") : "csv";
    if (format != "csv" && format != "jsonl")
      return JsonError(res, 400, "parameter format: csv or jsonl");
    // The client: its principal, or its address without authentication.
    const auto who = Who(req);
    const std::string client = who ? "user:" + who->name : "addr:" + req.remote_addr;
    const TimeUs now = clock_->MonotonicNow();
    switch (exports_->TryStart(client, now)) {
      case ExportLimiter::Verdict::kStart:
        break;
      case ExportLimiter::Verdict::kBusy:
        res.set_header("Retry-After", "5");
        return JsonError(res, 429, "too many exports running; try again shortly");
      case ExportLimiter::Verdict::kTooOften:
        res.set_header("Retry-After", std::to_string(exports_->RetryAfterSeconds(client, now)));
        return JsonError(res, 429, "too many exports from this client in the last minute");
    }
    SearchQuery query = search->query;
    query.limit = kExportChunk;
    // Shared by the provider and its releaser; its place is given back when
    // its last chunk is read, or when the server drops the export.
    auto stream =
        std::make_shared<ExportStream>(exports_.get(), store_, std::move(query), format == "csv");
    res.set_header("Content-Disposition",
                   std::string("attachment; filename=\"mailtrail.") + format + "\"");
    // No Range is served (the export is made as it streams): 200 and the
    // whole. The library said 206, without a Content-Range, and a resuming
    // client appended the whole file to its part (helper-151).
    res.status = 200;
    res.set_chunked_content_provider(
        format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson",
        [stream](size_t, httplib::DataSink& sink) { return stream->Provide(sink); },
        [stream](bool) { stream->End(); });
  });
}

// One message (every leg of it) by host and queue id, or by Message-ID.
void WebServer::AddMessageRoutes() {
  httplib::Server& s = *server_;
  auto message = [this](const httplib::Request& req, httplib::Response& res, bool api) {
    auto v = store_->With([&](Store& st) {
      return req.matches.size() == 3 ? FetchMessage(st, req.matches[1].str(), req.matches[2].str())
                                     : FetchByMessageId(st, req.matches[1].str());
    });
    if (!v.ok()) {
      res.status = HttpStatusOf(v.status());
      if (api) return JsonError(res, res.status, v.status().message());
      return Html(res, RenderNotice("Message", v.status().message()));
    }
    if (api) return res.set_content(MessageViewJson(*v), "application/json");
    Html(res, RenderMessagePage(*v));
  };
  // The host is all before the last "/": the server matches the path
  // decoded, and a host may hold "/" (the syslog host field, `--host`)
  // where a queue id never does (MessageLink encodes it as %2F).
  s.Get(R"(/message/(.+)/([^/]+))",
        [message](const httplib::Request& q, httplib::Response& r) { message(q, r, false); });
  s.Get(R"(/api/v1/message/(.+)/([^/]+))",
        [message](const httplib::Request& q, httplib::Response& r) { message(q, r, true); });
  s.Get(R"(/message-id/(.+))",
        [message](const httplib::Request& q, httplib::Response& r) { message(q, r, false); });
  s.Get(R"(/api/v1/message-id/(.+))",
        [message](const httplib::Request& q, httplib::Response& r) { message(q, r, true); });
}

// Every block, and one explained.
void WebServer::AddBlockRoutes() {
  httplib::Server& s = *server_;
  auto blocks = [this](const httplib::Request& req, httplib::Response& res, bool api) {
    auto all = store_->With([](Store& st) { return st.LoadBlocks(-1); });
    if (!all.ok()) {
      if (api) return JsonError(res, 500, all.status().message());
      res.status = 500;
      return Html(res, RenderNotice("Blocks", all.status().message()));
    }
    if (!api) {
      const auto who = options_.writes ? Who(req) : std::nullopt;
      const bool op = who && who->role == Role::kOperator;
      return Html(res, RenderBlocksPage(*all, clock_->WallNow(), op ? CsrfToken(who->name) : ""));
    }
    std::string out = "{\"blocks\":[";
    for (size_t i = 0; i < all->size(); ++i) {
      if (i) out.push_back(',');
      AppendBlockJson((*all)[i], &out);
    }
    res.set_content(out + "]}", "application/json");
  };
  s.Get("/blocks",
        [blocks](const httplib::Request& q, httplib::Response& r) { blocks(q, r, false); });
  s.Get("/api/v1/blocks",
        [blocks](const httplib::Request& q, httplib::Response& r) { blocks(q, r, true); });

  // `mailtrail blocks explain KEY`, from the same code (block_explain.h). The
  // enforcement checks are the configured guard's (--config), else defaults.
  auto explain = [this](const httplib::Request& req, httplib::Response& res, bool api) {
    const std::string key = req.has_param("key") ? req.get_param_value("key") : "";
    if (key.empty() || key.size() > kMaxParamBytes) {
      if (api) return JsonError(res, 400, "parameter key: a block's key (1000 bytes at most)");
      res.status = 400;
      return Html(res, RenderNotice("Block explained", "Which block? (?key=...)"));
    }
    static const cli::BlockGuard kDefaultGuard;
    const cli::BlockGuard& guard = options_.guard ? *options_.guard : kDefaultGuard;
    auto all = store_->With(
        [&](Store& st) { return cli::ExplainBlocks(st, guard, key, clock_->WallNow()); });
    if (!all.ok()) {
      if (api) return JsonError(res, HttpStatusOf(all.status()), all.status().message());
      res.status = HttpStatusOf(all.status());
      return Html(res, RenderNotice("Block explained", all.status().message()));
    }
    if (all->empty()) res.status = 404;
    if (api) return res.set_content(ExplainJson(*all), "application/json");
    Html(res, RenderExplainPage(key, *all));
  };
  s.Get("/blocks/explain",
        [explain](const httplib::Request& q, httplib::Response& r) { explain(q, r, false); });
  s.Get("/api/v1/blocks/explain",
        [explain](const httplib::Request& q, httplib::Response& r) { explain(q, r, true); });
}

void WebServer::AddReportRoutes() {
  httplib::Server& s = *server_;
  // `mailtrail report` over the search's window, a store turn of its own. A
  // window (with or without a host) is made by the hour through the cache; a
  // search with other keys, with no window, or with a window longer than the
  // cache keeps, sums at most report_records records (the first in time).
  auto reports = [this](const httplib::Request& req, httplib::Response& res, bool api) {
    auto search = ParseRequest(req);
    if (!search.ok()) {
      if (api) return JsonError(res, 400, search.status().message());
      res.status = 400;
      return Html(res, RenderNotice("Reports", search.status().message()));
    }
    constexpr size_t kTop = 10;
    SearchQuery q = search->query;
    q.limit = INT64_MAX;
    q.after.reset();
    const bool by_hour =
        q.since && std::all_of(search->filters.begin(), search->filters.end(), [](const auto& f) {
          return f.first == "since" || f.first == "until" || f.first == "host";
        });
    // By the hour: the hours not kept are summed on all but one of the
    // connections at once, so that a search still gets one meanwhile.
    auto with = [this](const std::function<Status(Store&)>& fn) {
      return store_->With([&](Store& store) { return fn(store); });
    };
    const int workers = std::max<int>(1, static_cast<int>(store_->connections()) - 1);
    // Other keys, or no window: the records of the search, up to a work
    // bound (all of a large store took seconds, and held a connection).
    auto summed = [&]() -> StatusOr<Report> {
      return store_->With([&](Store& store) -> StatusOr<Report> {
        Summary sum;
        SearchQuery bounded = q;
        const int64_t most = options_.report_records;  // the summing's bound (docs/web.md)
        bounded.limit = most + 1;
        int64_t seen = 0;
        bool stopped = false;
        Status st = store.SearchFirstWithin(
            bounded, ReportWorkRows(most),
            [&](MessageRecord&& r) {
              if (++seen <= most) sum.Add(r);
            },
            &stopped);
        if (!st.ok()) return st;
        Report out = ReportOf(sum, kTop);
        out.partial = seen > most || stopped;
        return out;
      });
    };
    auto report = by_hour ? reports_.Make(with, workers, *q.since, q.until, q.host.value_or(""),
                                          clock_->WallNow(), kTop, summed)
                          : summed();
    if (!report.ok()) {
      const Status& st = report.status();
      if (api) return JsonError(res, HttpStatusOf(st), st.message());
      res.status = HttpStatusOf(st);
      return Html(res, RenderNotice("Reports", st.message()));
    }
    if (api) return res.set_content(ReportJson(*report), "application/json");
    Html(res, RenderReportsPage(*search, *report));
  };
  s.Get("/reports",
        [reports](const httplib::Request& q, httplib::Response& r) { reports(q, r, false); });
  s.Get("/api/v1/reports",
        [reports](const httplib::Request& q, httplib::Response& r) { reports(q, r, true); });
}

// Each live agent's last status row.
void WebServer::AddStatusRoutes() {
  httplib::Server& s = *server_;
  auto status = [this](const httplib::Request&, httplib::Response& res, bool api) {
    auto agents = store_->With([](Store& store) { return store.ListAgentStatus(); });
    // A store without the table (older schema) has no agent to show.
    if (!agents.ok() && agents.status().code() == Status::Code::kNotFound)
      agents = std::vector<AgentStatus>{};
    if (!agents.ok()) {
      if (api) return JsonError(res, HttpStatusOf(agents.status()), agents.status().message());
      res.status = HttpStatusOf(agents.status());
      return Html(res, RenderNotice("Status", agents.status().message()));
    }
    if (!api) return Html(res, RenderStatusPage(*agents, clock_->WallNow()));
    std::string out = "{\"agents\":[";
    for (size_t i = 0; i < agents->size(); ++i) {
      const AgentStatus& a = (*agents)[i];
      if (i) out.push_back(',');
      out += "{\"agent\":";
      AppendJsonString(&out, a.agent);
      out += ",\"updated\":\"" + FormatRfc3339(a.updated) + "\",\"started\":\"" +
             FormatRfc3339(a.started) + "\",\"last_line\":" +
             (a.last_line ? "\"" + FormatRfc3339(a.last_line) + "\"" : std::string("null")) +
             ",\"lag_seconds\":" + std::to_string(a.lag_seconds) +
             ",\"lines\":" + std::to_string(a.lines) +
             ",\"lines_per_second\":" + std::to_string(a.lines_per_second) +
             ",\"unknown_lines\":" + std::to_string(a.unknown_lines) +
             ",\"records\":" + std::to_string(a.records) +
             ",\"open_messages\":" + std::to_string(a.open_messages) +
             ",\"backlog_bytes\":" + std::to_string(a.backlog_bytes) + "}";
    }
    res.set_content(out + "]}", "application/json");
  };
  s.Get("/status",
        [status](const httplib::Request& q, httplib::Response& r) { status(q, r, false); });
  s.Get("/api/v1/status",
        [status](const httplib::Request& q, httplib::Response& r) { status(q, r, true); });
}

// mailtrail's own script, style and icon, and Debian's Chart.js.
void WebServer::AddStaticRoutes() {
  httplib::Server& s = *server_;
  s.Get("/static/charts.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kChartsJs, "text/javascript; charset=utf-8");
  });
  // Browsers ask for an icon whatever the page says: a small one of our own
  // (a 404 would be an error in every page's console).
  for (const char* icon : {"/favicon.ico", "/static/icon.svg"}) {
    s.Get(icon, [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kIconSvg, "image/svg+xml");
    });
  }
  s.Get("/static/console.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kConsoleJs, "text/javascript; charset=utf-8");
  });
  s.Get("/static/console.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kConsoleCss, "text/css; charset=utf-8");
  });
  if (!chartjs_.empty()) {
    s.Get("/static/chart.js", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(chartjs_, "text/javascript; charset=utf-8");
    });
  }
}

}  // namespace mailtrail::web
