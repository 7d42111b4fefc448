// Campaigns of the ESMS numérique programme and their rulebooks: every figure of the
// programme's texts (DOMAIN.md §1-§6) with the source it comes from.
//
// Thread-safety: Campaign is a plain enum; the functions are pure.
#ifndef ESMS_DOMAIN_RULEBOOK_H_
#define ESMS_DOMAIN_RULEBOOK_H_

#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace esms::domain {

// DOMAIN.md §1: one rulebook per campaign.
enum class Campaign {
  kAmorcage2021,        // "amorcage-2021", seed 001 (ARS Grand Est)
  kGeneralisation2023,  // "generalisation-2023", seed 000 (ARS Mayotte)
  kGeneralisation2024,  // "generalisation-2024", seed 003 (ARS Bretagne)
  kGeneralisation2025,  // "generalisation-2025", seed 002 (FAQ, ARS Île-de-France)
};

// All campaigns, in chronological order.
std::vector<Campaign> AllCampaigns();

// "amorcage-2021", "generalisation-2023", "generalisation-2024",
// "generalisation-2025"; anything else ->
// Status::InvalidArgument("UNKNOWN_CAMPAIGN", "... known campaigns: ...").
Result<Campaign> ParseCampaign(std::string_view id);

// The rulebook id of `c` ("generalisation-2024").
std::string_view CampaignId(Campaign c);

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_RULEBOOK_H_
