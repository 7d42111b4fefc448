// The HTML page of the active-DUI report. See cli/report_html.h.
#include "cli/report_html.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "domain/region.h"

namespace esms::cli {
namespace {

using projections::ActiveDuiEstablishment;
using projections::ActiveDuiReport;
using projections::TrajectoryPoint;

// U+202F NARROW NO-BREAK SPACE: the French thousands separator.
constexpr std::string_view kThin = "\u202f";

std::string N(int64_t value) { return projections::GroupDigits(value, kThin); }

std::string RegionName(const std::string& code) {
  auto region = domain::Region::Parse(code);
  return region.ok() ? std::string(region->name()) : "no region (" + code + ")";
}

// A "nice" axis step (1, 2 or 5 times a power of ten) giving at most 6 intervals.
int64_t NiceStep(int64_t max_value) {
  if (max_value <= 0) return 1;
  int64_t power = 1;
  while (power <= max_value / 10) power *= 10;
  for (;;) {
    for (int64_t m : {1, 2, 5}) {
      if (max_value / (m * power) < 6) return m * power;
    }
    power *= 10;
  }
}

constexpr std::string_view kStyle = R"(
  :root { --ink:#1f2328; --muted:#59636e; --line:#1f6feb; --target:#d1242f; --bar:#2da44e;
          --grid:#d8dee4; --panel:#f6f8fa; }
  * { box-sizing: border-box; }
  body { margin: 0; padding: 32px 48px; font-family: system-ui, -apple-system, "Segoe UI",
         Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #ffffff; }
  h1 { font-size: 28px; margin: 0 0 4px; }
  h2 { font-size: 20px; margin: 32px 0 12px; border-bottom: 1px solid var(--grid);
       padding-bottom: 6px; }
  .sub { color: var(--muted); margin: 0 0 24px; }
  .hero { background: var(--panel); border: 1px solid var(--grid); border-radius: 8px;
          padding: 20px 24px; display: flex; gap: 48px; align-items: center; }
  .big { font-size: 56px; font-weight: 700; line-height: 1; color: #0a3069; }
  .big small { display: block; font-size: 16px; font-weight: 400; color: var(--muted);
               margin-top: 8px; }
  .goal { flex: 1; }
  .progress { height: 28px; background: #ffffff; border: 1px solid var(--grid);
              border-radius: 14px; overflow: hidden; margin: 8px 0; }
  .progress > div { height: 100%; background: var(--bar); }
  .facts { color: var(--muted); margin: 4px 0; }
  svg text { font-family: inherit; fill: var(--ink); }
  table { border-collapse: collapse; font-size: 14px; }
  th, td { padding: 4px 12px; border-bottom: 1px solid var(--grid); text-align: left; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
  pre { background: var(--panel); border: 1px solid var(--grid); padding: 12px;
        overflow-x: auto; }
  .note { color: var(--muted); font-size: 14px; }
)";

void AppendHero(std::string& out, const ActiveDuiReport& r) {
  const int64_t percent = r.PercentOfTarget();
  const int64_t distance = r.DistanceToTarget();
  out += "<section class=\"hero\">\n";
  out +=
      fmt::format("<div class=\"big\" id=\"total\">{}<small>active DUI files at {}</small></div>\n",
                  N(r.total), HtmlEscape(r.at.ToString()));
  out += "<div class=\"goal\">\n";
  out += fmt::format(
      "<div><strong>{} %</strong> of the target of <strong>{}</strong> active "
      "DUI files (end of 2024, 003 §3.1)</div>\n",
      percent, N(r.target));
  out += fmt::format(
      "<div class=\"progress\" role=\"progressbar\" aria-valuenow=\"{}\" "
      "aria-valuemin=\"0\" aria-valuemax=\"100\"><div style=\"width:{}%\"></div>"
      "</div>\n",
      std::min<int64_t>(percent, 100), std::min<int64_t>(percent, 100));
  out += distance > 0 ? fmt::format(
                            "<div class=\"facts\">Distance to target: <strong>{}</strong> files "
                            "to go</div>\n",
                            N(distance))
                      : fmt::format(
                            "<div class=\"facts\">Target reached, exceeded by <strong>{}</strong> "
                            "files</div>\n",
                            N(-distance));
  out += fmt::format(
      "<div class=\"facts\">{} establishments (ESSMS) counted, each once, with its "
      "latest measurement ending on or before {}</div>\n",
      N(r.establishments), HtmlEscape(r.at.ToString()));
  out += "</div>\n</section>\n";
}

void AppendTrajectory(std::string& out, const ActiveDuiReport& r,
                      const std::vector<TrajectoryPoint>& points) {
  out += "<h2>Monthly trajectory</h2>\n";
  if (points.empty()) {
    out += "<p class=\"note\">No measurement ends on or before this date.</p>\n";
    return;
  }
  constexpr int64_t kW = 1100, kH = 380, kLeft = 96, kRight = 24, kTop = 20, kBottom = 56;
  const int64_t plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  int64_t max_value = r.target;
  for (const auto& p : points) max_value = std::max(max_value, p.total);
  const int64_t step = NiceStep(max_value);
  const int64_t y_max = (max_value + step - 1) / step * step;
  auto x_of = [&](size_t i) {
    return points.size() == 1
               ? kLeft + plot_w / 2
               : kLeft + static_cast<int64_t>(i) * plot_w / static_cast<int64_t>(points.size() - 1);
  };
  auto y_of = [&](int64_t v) { return kTop + (y_max - v) * plot_h / y_max; };

  out += fmt::format(
      "<svg id=\"trajectory\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "role=\"img\" aria-label=\"Active DUI files by month\">\n",
      kW, kH);
  // Grid and y axis labels.
  for (int64_t v = 0; v <= y_max; v += step) {
    int64_t y = y_of(v);
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d8dee4\"/>\n",
                       kLeft, y, kLeft + plot_w, y);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{}</text>\n",
                       kLeft - 8, y + 4, N(v));
  }
  // Axes.
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#59636e\"/>\n",
                     kLeft, kTop, kTop + plot_h);
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#59636e\"/>\n",
                     kLeft, kTop + plot_h, kLeft + plot_w);
  // X labels: at most 12, always the last point.
  const size_t every = std::max<size_t>(1, (points.size() + 11) / 12);
  const size_t last = points.size() - 1;
  for (size_t i = 0; i < points.size(); ++i) {
    // Every `every`-th month, and the last point (the report date), never two crowded.
    if (i != last && (i % every != 0 || last - i < every)) continue;
    // The last label ends at its point, so that it stays inside the chart.
    out +=
        fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" font-size=\"13\">{}</text>\n",
                    x_of(i), kTop + plot_h + 20, i == last && points.size() > 1 ? "end" : "middle",
                    HtmlEscape(points[i].at.ToString().substr(0, 7)));
  }
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" "
      "fill=\"#59636e\">month end (the last point is the report date, {})</text>\n",
      kLeft + plot_w / 2, kH - 8, HtmlEscape(r.at.ToString()));
  out += fmt::format(
      "<text x=\"16\" y=\"{0}\" transform=\"rotate(-90 16 {0})\" "
      "text-anchor=\"middle\" font-size=\"13\">active DUI files</text>\n",
      kTop + plot_h / 2);
  // Target line.
  const int64_t ty = y_of(r.target);
  out += fmt::format(
      "<line id=\"target-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d1242f\" "
      "stroke-width=\"2\" stroke-dasharray=\"8 6\"/>\n",
      kLeft, ty, kLeft + plot_w, ty);
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" "
      "style=\"fill:#d1242f\">target {}</text>\n",
      kLeft + plot_w - 4, ty - 6, N(r.target));
  // The indicator.
  std::string path;
  for (size_t i = 0; i < points.size(); ++i) {
    path += fmt::format("{}{},{}", i == 0 ? "" : " ", x_of(i), y_of(points[i].total));
  }
  out += fmt::format(
      "<polyline id=\"trajectory-line\" points=\"{}\" fill=\"none\" stroke=\"{}\" "
      "stroke-width=\"4\" stroke-linejoin=\"round\"/>\n",
      path, kHtmlLineColour);
  for (size_t i = 0; i < points.size(); ++i) {
    out += fmt::format(
        "<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{}\"><title>{}: {}</title></circle>\n", x_of(i),
        y_of(points[i].total), kHtmlLineColour, HtmlEscape(points[i].at.ToString()),
        N(points[i].total));
  }
  const TrajectoryPoint& final_point = points.back();
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"14\" "
      "font-weight=\"700\" style=\"fill:{}\">{}</text>\n",
      x_of(last) - 8, y_of(final_point.total) - 10, kHtmlLineColour, N(final_point.total));
  out += "</svg>\n";
}

void AppendRegions(std::string& out, const ActiveDuiReport& r) {
  out += "<h2>By region</h2>\n";
  std::map<std::string, std::pair<int64_t, int64_t>> by_region;  // total, establishments
  for (const ActiveDuiEstablishment& e : r.evidence) {
    auto& [total, count] = by_region[e.region];
    total += e.active_files;
    ++count;
  }
  if (by_region.empty()) {
    out += "<p class=\"note\">No establishment counted.</p>\n";
    return;
  }
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> rows(by_region.begin(),
                                                                        by_region.end());
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  constexpr int64_t kW = 1100, kLabel = 260, kRow = 30, kValue = 200;
  const int64_t bar_w = kW - kLabel - kValue;
  const int64_t max_total = std::max<int64_t>(1, rows.front().second.first);
  const int64_t height = static_cast<int64_t>(rows.size()) * kRow + 8;
  out += fmt::format(
      "<svg id=\"regions\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "role=\"img\" aria-label=\"Active DUI files by region\">\n",
      kW, height);
  int64_t y = 4;
  for (const auto& [code, figures] : rows) {
    const auto& [total, count] = figures;
    const int64_t w = std::max<int64_t>(total > 0 ? 2 : 0, total * bar_w / max_total);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"14\">{}</text>\n",
                       kLabel - 10, y + 19, HtmlEscape(RegionName(code)));
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#2da44e\" rx=\"3\">"
        "<title>{}: {}</title></rect>\n",
        kLabel, y + 4, w, kRow - 8, HtmlEscape(RegionName(code)), N(total));
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"14\">{} <tspan style=\"fill:#59636e\">"
        "({} ESSMS)</tspan></text>\n",
        kLabel + w + 8, y + 19, N(total), N(count));
    y += kRow;
  }
  out += "</svg>\n";
}

void AppendTable(std::string& out, const ActiveDuiReport& r) {
  out += "<h2>By establishment</h2>\n";
  if (r.evidence.empty()) {
    out += "<p class=\"note\">No establishment counted.</p>\n";
    return;
  }
  out +=
      "<table id=\"establishments\">\n<thead><tr><th>FINESS</th><th>region</th>"
      "<th>département</th><th>project</th><th class=\"num\">active files</th>"
      "<th>period end</th><th class=\"num\">evidence seq</th></tr></thead>\n<tbody>\n";
  const size_t shown = std::min(r.evidence.size(), kHtmlTableRows);
  for (size_t i = 0; i < shown; ++i) {
    const ActiveDuiEstablishment& e = r.evidence[i];
    std::string finess = HtmlEscape(e.finess);
    if (e.measured_finess != e.finess) {
      finess += " <span class=\"note\">(measured as " + HtmlEscape(e.measured_finess) + ")</span>";
    }
    out += fmt::format(
        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>"
        "<td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
        finess, HtmlEscape(RegionName(e.region)), HtmlEscape(e.department), HtmlEscape(e.project),
        N(e.active_files), HtmlEscape(e.period_end.ToString()), e.seq);
  }
  out += "</tbody>\n</table>\n";
  if (shown < r.evidence.size()) {
    out += fmt::format(
        "<p class=\"note\" id=\"table-cap\">The first {} of {} establishments, by "
        "FINESS. The full list: <code>esms-ledger report active-dui --at {} "
        "--format csv</code> (or <code>--format json</code>).</p>\n",
        N(static_cast<int64_t>(shown)), N(static_cast<int64_t>(r.evidence.size())),
        HtmlEscape(r.at.ToString()));
  }
}

void AppendVerify(std::string& out, const ActiveDuiReport& r, const HtmlProvenance& p) {
  out += "<h2>How to verify</h2>\n";
  out += fmt::format(
      "<p>Every figure above comes from signed records of the ledger <code>{}</code>, which "
      "held {} records (Merkle root <code>{}</code>) when this page was made; the report "
      "reflects records 0 to {}.</p>\n",
      HtmlEscape(p.origin), N(static_cast<int64_t>(p.ledger_size)), HtmlEscape(p.ledger_root),
      r.state_size == 0 ? std::string("-") : std::to_string(r.state_size - 1));
  if (p.checkpoint_note.has_value()) {
    out += fmt::format(
        "<p>Latest signed checkpoint: size <strong>{}</strong>, root "
        "<code>{}</code>{}:</p>\n<pre>{}</pre>\n",
        N(static_cast<int64_t>(p.checkpoint_size)), HtmlEscape(p.checkpoint_root),
        p.checkpoint_size < p.ledger_size
            ? " (it does not cover the latest records: the ledger signs one at every commit, "
              "so its last commit did not finish; <code>esms-ledger checkpoint --key "
              "LEDGER-KEY</code> signs one)"
            : "",
        HtmlEscape(*p.checkpoint_note));
  } else {
    out +=
        "<p>No signed checkpoint is kept (the ledger signs one at every commit): "
        "<code>esms-ledger checkpoint --key LEDGER-KEY</code> signs one, then proofs and "
        "bundles can be made against it.</p>\n";
  }
  const std::string at = HtmlEscape(r.at.ToString());
  const std::string example =
      r.evidence.empty() ? std::string("SEQ") : std::to_string(r.evidence.front().seq);
  out += "<ol>\n";
  out +=
      "<li>Check the whole ledger (hash chain, signatures, Merkle tree): "
      "<code>esms-ledger verify</code></li>\n";
  out += fmt::format(
      "<li>Each row's <em>evidence seq</em> is the <code>indicator.measured</code> "
      "record counted; prove it is in the signed tree: <code>esms-ledger prove "
      "{}</code> (any RFC 9162 verifier accepts the proof).</li>\n",
      HtmlEscape(example));
  out += fmt::format(
      "<li>Recompute the figure: <code>esms-ledger report active-dui --at {} "
      "--format csv</code>.</li>\n",
      at);
  if (p.bundle_file.has_value()) {
    out += fmt::format(
        "<li>Offline, without the ledger: the evidence bundle <code>{0}</code> "
        "written with this page holds every counted record, the FINESS changes "
        "followed, the signers' keys and the inclusion proofs; check it with "
        "<code>esms-ledger verify-bundle {0} --trust ledger.pub</code>.</li>\n",
        HtmlEscape(*p.bundle_file));
  } else {
    out += fmt::format(
        "<li>Offline, without the ledger: <code>esms-ledger report active-dui --at "
        "{} --bundle FILE</code> writes the evidence bundle (every counted record, "
        "the FINESS changes followed, the signers' keys, inclusion proofs); an "
        "auditor checks it with <code>esms-ledger verify-bundle FILE --trust "
        "ledger.pub</code>.</li>\n",
        at);
  }
  out += "</ol>\n";
  out +=
      "<p class=\"note\">Counting rule (DOMAIN.md §8): each ESSMS once, followed through its "
      "FINESS changes (a renumbering keeps its history; a merger makes one ESSMS from its "
      "effective date), with its latest measurement whose period ends on or before the "
      "date; voided records excluded.</p>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderActiveDuiHtml(const ActiveDuiReport& report,
                                const std::vector<TrajectoryPoint>& trajectory,
                                const HtmlProvenance& provenance) {
  std::string out;
  out.reserve(4096 + std::min(report.evidence.size(), kHtmlTableRows) * 256);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>Active DUI files at {} — ESMS numérique (PNRR)</title>\n",
                     HtmlEscape(report.at.ToString()));
  out += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  out += "<h1>Active DUI files — PNRR indicator</h1>\n";
  out += fmt::format(
      "<p class=\"sub\">ESMS numérique programme · at {} · ledger <code>{}</code>, "
      "{} records</p>\n",
      HtmlEscape(report.at.ToString()), HtmlEscape(provenance.origin),
      N(static_cast<int64_t>(provenance.ledger_size)));
  AppendHero(out, report);
  AppendTrajectory(out, report, trajectory);
  AppendRegions(out, report);
  AppendTable(out, report);
  AppendVerify(out, report, provenance);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace esms::cli
