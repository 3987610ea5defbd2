// The console's own script and style sheet, compiled in (nothing is fetched
// at run time; Chart.js is read from Debian's libjs-chart.js at start).
#ifndef MAILTRAIL_AGENT_WEB_STATIC_ASSETS_H_
#define MAILTRAIL_AGENT_WEB_STATIC_ASSETS_H_

namespace mailtrail::web {

extern const char kConsoleJs[];
extern const char kConsoleCss[];
extern const char kChartsJs[];
extern const char kIconSvg[];

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_STATIC_ASSETS_H_
