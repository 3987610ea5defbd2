// Pieces shared by the console's pages (render.cc, render_message.cc).
#ifndef MAILTRAIL_AGENT_WEB_RENDER_LAYOUT_H_
#define MAILTRAIL_AGENT_WEB_RENDER_LAYOUT_H_

#include <string>

#include "base/civil_time.h"

namespace mailtrail::web {

// The page around `body`: head, stylesheet, script, navigation; `charts`:
// also Chart.js and the script that draws the page's charts.
std::string Layout(const std::string& title, const std::string& body, bool charts = false);
// A time stamp: UTC without script; console.js shows it in the browser's zone
// (or UTC, by the switch) from its datetime attribute.
std::string TimeCell(TimeUs t);

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_RENDER_LAYOUT_H_
