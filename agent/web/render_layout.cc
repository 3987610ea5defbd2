#include "agent/web/render_layout.h"

#include "agent/web/escape.h"

namespace mailtrail::web {

std::string Layout(const std::string& title, const std::string& body, bool charts) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" +
         HtmlEscape(title) +
         " - mailtrail</title>"
         "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">"
         "<link rel=\"stylesheet\" href=\"/static/console.css\">"
         "<script src=\"/static/console.js\" defer></script>" +
         (charts ? "<script src=\"/static/chart.js\" defer></script>"
                   "<script src=\"/static/charts.js\" defer></script>"
                 : "") +
         "</head><body><nav><a href=\"/search\">Search</a> <a href=\"/reports\">Reports</a>"
         " <a href=\"/blocks\">Blocks</a> <a href=\"/status\">Status</a>"
         " <span id=\"live-badge\" hidden></span>"
         " <button id=\"tz-switch\" type=\"button\" hidden>UTC</button></nav>"
         "<main>" +
         body + "</main></body></html>\n";
}

std::string TimeCell(TimeUs t) {
  if (t <= 0) return "";
  const std::string iso = FormatRfc3339(t);
  std::string shown = iso;
  if (shown.size() > 10 && shown[10] == 'T') shown[10] = ' ';
  if (!shown.empty() && shown.back() == 'Z') shown.pop_back();
  return "<time datetime=\"" + iso + "\">" + shown + " UTC</time>";
}

}  // namespace mailtrail::web
