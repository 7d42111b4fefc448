// Calendar rules of a campaign: which guichet (regional or national ARS desk) a
// project is filed at, whether a submission date falls in the campaign's window, and
// how a convention amount is split into payment tranches (DOMAIN.md §1, §2, §5).
//
// Thread-safety: pure functions over value types; safe from any thread.
#ifndef ESMS_DOMAIN_CALENDAR_H_
#define ESMS_DOMAIN_CALENDAR_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "domain/date.h"
#include "domain/events.h"
#include "domain/money.h"
#include "domain/rulebook.h"

namespace esms::domain {

// ---- Guichet (000 §4.3, 003 §7) ----

enum class Guichet { kRegional, kNational };
std::string_view GuichetId(Guichet g);  // "regional", "national"

struct GuichetDecision {
  Guichet guichet = Guichet::kRegional;
  int unique_essms = 0;
  int regions = 0;
  std::string reason;  // "49 ESSMS (< 50): regional"
  std::string_view source;
};

// ESSMS < 50, any number of regions -> regional; >= 50 in 1 region -> regional;
// >= 50 in several regions -> national. Amorçage: always regional (001).
GuichetDecision DecideGuichet(Campaign campaign, int unique_essms, int regions);

// ---- Submission window (000 §4.6, 003 §8, 001 Calendrier) ----

enum class WindowKind {
  kRegional,       // all establishments in one region
  kMultiRegional,  // establishments in more than one region
};
std::string_view WindowKindId(WindowKind k);  // "regional", "multi-regional"

struct WindowCheck {
  bool checked = false;  // false: the campaign has no window (2025); `within` is true
  bool within = true;    // opens <= submitted_at <= closes (closing day included)
  WindowKind kind = WindowKind::kRegional;
  std::optional<SubmissionWindow> window;  // the window that applied
  std::string detail;  // "submitted 2023-09-16, after the regional window closed on ..."
};

// Which window applies (by number of regions of the project's establishments) and
// whether `submitted_at` is inside it. Interpretation: a file submitted before the
// window opens is out of the window too (the call is not yet open).
WindowCheck CheckSubmissionWindow(Campaign campaign, Date submitted_at, int regions);

// The same as a Status: OK when within (or no window), else
// Status::FailedPrecondition("SUBMISSION_OUT_OF_WINDOW", detail).
Status RequireSubmissionInWindow(Campaign campaign, Date submitted_at, int regions);

// ---- Payment schedule (000 §4.5.1, 003 §3.4.1, 002, 001 Modalités de financement) ----

struct TrancheAmount {
  Tranche tranche = Tranche::kAdvance;
  int per_mille = 0;  // share of the convention amount
  Money amount;       // floor(convention * per_mille / 1000); the last: the remainder
  std::string_view when;
  std::string_view source;
};

// The campaign's tranches for a convention amount, in payment order. Every tranche but
// the last is rounded down to the cent; the last is the remainder, so the tranches add
// up exactly to `convention_amount`. Généralisation: advance 50 % / balance;
// amorçage: advance 40 % / parametrisation 40 % / deployment (20 %).
std::vector<TrancheAmount> PaymentSchedule(Campaign campaign, Money convention_amount);

// The amount of one tranche of the schedule. Error: BAD_INPUT when the campaign has no
// such tranche ("parametrisation" in généralisation).
Result<TrancheAmount> TrancheFor(Campaign campaign, Tranche tranche, Money convention_amount);

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_CALENDAR_H_
