// `esms-ledger rules [CAMPAIGN]`: the rulebook's figures, each with its source.
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "domain/rulebook.h"

namespace esms::cli {

int CmdRules(const Globals& g, const std::optional<std::string>& campaign) {
  std::vector<domain::Campaign> campaigns;
  if (campaign.has_value()) {
    auto parsed = domain::ParseCampaign(*campaign);
    if (!parsed.ok()) return ReportError(parsed.status(), g);
    campaigns.push_back(*parsed);
  } else {
    campaigns = domain::AllCampaigns();
  }
  nlohmann::json out = {{"campaigns", nlohmann::json::array()}};
  for (domain::Campaign c : campaigns) {
    std::vector<domain::RuleFigure> figures = domain::DescribeRules(c);
    if (g.json) {
      nlohmann::json rules = nlohmann::json::array();
      for (const auto& f : figures) {
        rules.push_back({{"name", f.name}, {"value", f.value}, {"source", f.source}});
      }
      out["campaigns"].push_back({{"campaign", domain::CampaignId(c)}, {"rules", rules}});
      continue;
    }
    fmt::print(g.out, "{}\n", domain::CampaignId(c));
    for (const auto& f : figures) {
      fmt::print(g.out, "  {}  [{}]\n      {}\n", f.name, f.source, f.value);
    }
    fmt::print(g.out, "\n");
  }
  if (g.json) fmt::print(g.out, "{}\n", out.dump());
  return kExitOk;
}

}  // namespace esms::cli
