#include "domain/rulebook.h"

#include <string>

namespace esms::domain {

std::vector<Campaign> AllCampaigns() {
  return {Campaign::kAmorcage2021, Campaign::kGeneralisation2023,
          Campaign::kGeneralisation2024, Campaign::kGeneralisation2025};
}

std::string_view CampaignId(Campaign c) {
  switch (c) {
    case Campaign::kAmorcage2021: return "amorcage-2021";
    case Campaign::kGeneralisation2023: return "generalisation-2023";
    case Campaign::kGeneralisation2024: return "generalisation-2024";
    case Campaign::kGeneralisation2025: return "generalisation-2025";
  }
  return "unknown";
}

Result<Campaign> ParseCampaign(std::string_view id) {
  std::string known;
  for (Campaign c : AllCampaigns()) {
    if (CampaignId(c) == id) return c;
    if (!known.empty()) known += ", ";
    known += CampaignId(c);
  }
  return Status::InvalidArgument(
      "UNKNOWN_CAMPAIGN",
      "unknown campaign \"" + std::string(id) + "\"; known campaigns: " + known);
}

}  // namespace esms::domain
