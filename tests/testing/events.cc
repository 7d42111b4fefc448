#include "tests/testing/events.h"

#include "tests/testing/ids.h"

namespace esms::testing {
namespace {

json OgOne() {
  return json::array(
      {{{"finessEj", Ej(1)}, {"name", "OG 1"}, {"essmsTotal", 20}, {"region", "53"}}});
}

}  // namespace

json Solution(const std::string& product, const std::string& vendor, const std::string& version) {
  return {{"vendor", vendor}, {"product", product}, {"version", version}};
}

json Establishment(const std::string& finess, const std::string& situation) {
  return {{"finess", finess},
          {"finessEj", Ej(1)},
          {"name", "ESSMS " + finess},
          {"region", finess.substr(0, 2) == "75" ? "11" : "53"},
          {"situation", situation}};
}

json Submission(const std::string& project, const std::vector<std::string>& establishments,
                const std::string& campaign, const std::string& situation,
                const std::string& submitted_at) {
  json ests = json::array();
  for (const auto& f : establishments) ests.push_back(Establishment(f, situation));
  return {{"project", project},
          {"campaign", campaign},
          {"porteur",
           {{"finessEj", Ej(1)}, {"siret", WithLuhnKey("1234567890001")}, {"name", "Porteur"}}},
          {"kind", situation == "upgrade" ? "usage" : "acquisition"},
          {"solution", Solution()},
          {"organisations", OgOne()},
          {"establishments", ests},
          {"submittedAt", submitted_at}};
}

json Extension(const std::string& project, const std::vector<std::string>& ests, bool agreement,
               const std::string& at) {
  json e = {{"project", project},   {"extendedAt", at},         {"porteurAgreement", agreement},
            {"payingRegion", "53"}, {"organisations", OgOne()}, {"establishments", json::array()}};
  for (const auto& f : ests) e["establishments"].push_back(Establishment(f));
  return e;
}

json Measurement(const std::string& finess, int64_t persons, int64_t active_files,
                 const std::string& start, const std::string& end) {
  return {{"finess", finess},
          {"periodStart", start},
          {"periodEnd", end},
          {"personsAccompanied", persons},
          {"activeFiles", active_files},
          {"activeFilesWithPlan", active_files},
          {"activeFilesWithAgendaEvent", active_files},
          {"mssanteMessages", persons},
          {"dmpFed", persons}};
}

json Measurement(const std::string& finess, const std::string& start, const std::string& end,
                 int64_t persons, int64_t active_files) {
  return Measurement(finess, persons, active_files, start, end);
}

json AmorcageCommitments() {
  return {{"activeFilesRate", 90},
          {"planRate", 80},
          {"agendaRate", 80},
          {"mssanteMessages", 300},
          {"dmpDocuments", 200}};
}

json Amorcage(const std::string& project, int ogs, int esms, int first) {
  json sub = Submission(project, {}, "amorcage-2021", "acquisition", "2021-03-01");
  sub["usageCommitments"] = AmorcageCommitments();
  sub["organisations"] = json::array();
  for (int o = 1; o <= ogs; ++o) {
    sub["organisations"].push_back(
        {{"finessEj", Ej(o)}, {"name", "OG"}, {"essmsTotal", 10}, {"region", "53"}});
  }
  for (int i = 0; i < esms; ++i) {
    json e = Establishment(Et(first + i));
    e["finessEj"] = Ej(1 + i % ogs);
    sub["establishments"].push_back(e);
  }
  return sub;
}

json Selected(const std::string& project, const std::string& at) {
  return {{"project", project}, {"committeeAt", at}};
}

json Convention(const std::string& project, const std::vector<std::string>& ests, int64_t cents,
                const std::string& signed_at, int duration) {
  return {{"project", project},
          {"signedAt", signed_at},
          {"amountCents", cents},
          {"establishments", ests},
          {"durationMonths", duration}};
}

json Payment(const std::string& project, const std::string& tranche, int64_t cents,
             const std::string& paid_at) {
  return {{"project", project},
          {"tranche", tranche},
          {"amountCents", cents},
          {"paidAt", paid_at},
          {"reference", "PAY-" + tranche + "-" + paid_at}};
}

json Expenses(const std::string& project, int64_t total, int64_t equipment, const std::string& at) {
  return {{"project", project},
          {"totalCents", total},
          {"equipmentCents", equipment},
          {"certifiedBy", "public-accountant"},
          {"certifiedAt", at}};
}

json SonsOrder(const std::string& finess, const json& solution, const std::string& validated_at) {
  json d = {{"finess", finess}, {"solution", solution}, {"orderedAt", "2022-12-01"}};
  if (!validated_at.empty()) d["validatedAt"] = validated_at;
  return d;
}

json FinessChange(const std::string& from, const std::string& to, const std::string& kind,
                  const std::string& at) {
  return {{"from", from}, {"to", to}, {"kind", kind}, {"effectiveAt", at}};
}

std::string Line(const std::string& id, const std::string& type, const std::string& at,
                 const json& data) {
  return json{{"id", id}, {"type", type}, {"at", at}, {"data", data}}.dump() + "\n";
}

}  // namespace esms::testing
