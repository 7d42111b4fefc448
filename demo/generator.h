// Generator: a deterministic synthetic ESMS numérique programme, for `esms-ledger demo`
// (cli/demo.h) and the benchmarks (tests/bench).
//
// From a seed (std::mt19937_64, fixed algorithm: the same seed and options give the same
// events, byte for byte) it draws organisations (OGs, FINESS EJ + SIRET) of realistic
// sizes in real départements, their establishments (FINESS ET with their Luhn key,
// categories EHPAD, IME, SSIAD, SAAD, ESAT, MAS, FAM, CHRS, ...), grappes and projects
// across amorcage-2021 and generalisation-2023/2024/2025, and the events the programme
// would have produced, in ledger order, as JSON lines (INTERFACE.md §1): Ségur
// referencing, submissions inside the windows, selections and rejections, conventions
// at the entitlement (domain::ComputeEntitlement), advances, monthly indicator.measured
// climbing towards the targets (some establishments never reach them, so their grappe's
// balance is never paid), expenses.certified, balances when the whole grappe met the
// targets over 3 months, SONS orders, EU funds, FINESS renumberings and mergers, grappe
// extensions with an amended convention; amorçage usage commitments and invoices, its
// deployment tranche paid prorata of the usage announced; a 2025 project that lapses; a
// complément de grappe of a neighbouring region paid by that region's ARS (issue 13).
// Then a few attempts the programme rules refuse, each with the code it must be refused
// with.
//
// Every event is built as a typed domain::Event and written by the domain's codec
// (domain::EventToJson). The phases of the plan are in demo/internal/phases.h.
//
// Events are streamed (Emit) so that the national scale (millions of measurements) is
// never held in memory at once.
//
// Thread-safety: a Generator is used from one thread.
#ifndef ESMS_DEMO_GENERATOR_H_
#define ESMS_DEMO_GENERATOR_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace esms::demo {

namespace internal {
struct Plan;  // demo/internal/plan.h
}  // namespace internal

enum class Scale { kRegion, kNational };

struct Options {
  Scale scale = Scale::kRegion;
  uint64_t seed = 2024;
  // 0: the scale's default (region: about 2 000 establishments in Bretagne; national:
  // about 36 500 over the 18 regions). Tests use a few dozen.
  int establishments = 0;
  // Region scale: the INSEE code of the region drawn (default Bretagne). Another region
  // gives another ledger (its own origin, FINESS numbers in its own départements): one
  // ledger per ARS, for the federated report (docs/federation.md).
  std::string region = "53";
  // Region scale, one region of the federated demo (`demo --federated`): Bretagne's
  // neighbour ESSMS too take numbers of their own (as every other region's do), so that
  // no two ledgers of the federation share an establishment.
  bool federated = false;
  // The demo's "today": nothing is dated after it.
  std::string today = "2025-12-31";
};

// A key the demo writes (DIR/keys/<name>.pem) and enrols (KeyEnrolment: the
// key.enrolled events need the public keys, so the caller makes the keys before Emit's
// events). The first is the admin, enrolled by the genesis record.
struct Key {
  std::string name;
  std::vector<std::string> roles;    // INTERFACE.md §1 roles: "admin", "porteur", ...
  std::vector<std::string> regions;  // region codes
};

// One event in ledger order.
struct EventLine {
  std::string signer;  // Key name
  std::string id;
  std::string date;  // its business date ("at")
  std::string json;  // one JSON line, no newline
};

// A deliberate attempt that the rules must refuse.
struct Attempt {
  std::string signer;
  std::string id;
  std::string json;
  std::string expected_code;  // "NONCUMUL_SECOND_DUI", ...
  std::string what;           // "a second DUI for EHPAD ... (already funded by ...)"
};

struct Summary {
  int regions = 0;
  int organisations = 0;
  int establishments = 0;
  int projects = 0;
  std::vector<std::pair<std::string, int>> projects_by_campaign;
  int rejected = 0;
  int balances = 0;
  int never_reaching_grappes = 0;
  int extensions = 0;
  int renumberings = 0;
  int mergers = 0;
  int sons_orders = 0;
  int eu_funds = 0;
  uint64_t events = 0;  // what Emit will deliver
  uint64_t measurements = 0;
  // The featured project of the walk-through: a complete history (balance paid).
  std::string featured_project;
  // A project whose grappe never reaches the targets (balance refused when attempted).
  std::string laggard_project;
  // Issue 13's showcases ("" when the drawn programme has none): an amorçage project
  // whose deployment tranche was paid prorata of the usage it announced, a 2025 project
  // that lapsed, and the project completed by ESSMS of another region, paid by that
  // region's ARS (complement_region: its INSEE code).
  std::string prorata_project;
  std::string lapsed_project;
  std::string complement_project;
  std::string complement_region;
  // The generator's own expectation of the PNRR indicator, from the data it drew: sum
  // over establishments (each followed through FINESS changes, counted once) of their
  // latest activeFiles. The demo reports the ledger's figure (ComputeActiveDui); this
  // one is a cross-check, and the two are equal.
  std::string latest_measure_date;
  int64_t active_dui_latest = 0;
  int64_t active_dui_end_2024 = 0;
  int64_t measured_establishments = 0;
};

class Generator {
 public:
  // Draws the whole programme plan (organisations, projects, dates); cheap even at the
  // national scale. BAD_INPUT for impossible options.
  static Result<std::unique_ptr<Generator>> Create(const Options& options);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  const std::vector<Key>& keys() const;
  const Summary& summary() const;
  // The ledger origin line for checkpoints ("demo.esms-numerique.example/bzh").
  std::string origin() const;
  // Human name of the scope ("Bretagne (53)" or "France, 18 régions").
  std::string scope_name() const;

  // The key.enrolled event of keys()[i] (i >= 1) with its raw Ed25519 public key,
  // signed by the admin (keys()[0]) and dated 2021-01-04: to import, in keys() order,
  // before Emit's events.
  Result<EventLine> KeyEnrolment(size_t i, const std::array<uint8_t, 32>& public_key) const;

  // Calls `emit` with every accepted event in ledger order (business dates never go
  // backwards); stops at the first non-OK status, which is returned.
  Status Emit(const std::function<Status(const EventLine&)>& emit) const;
  // The refused attempts, to import after Emit, one by one.
  const std::vector<Attempt>& Attempts() const;

 private:
  explicit Generator(std::unique_ptr<internal::Plan> plan);
  std::unique_ptr<internal::Plan> plan_;
};

// The demo keys are derived from the seed, so that two runs with the same seed sign
// with the same keys (a demo, never a real ledger): SHA-256("esms-ledger demo key\n"
// seed "\n" name) as the Ed25519 private seed, written as PKCS#8 PEM.
std::string KeyPem(uint64_t seed, std::string_view name);

// The Luhn key digit that completes `digits` (DOMAIN.md §0); '2A'/'2B' must already be
// read as '21'/'22' by the caller.
char LuhnKeyDigit(std::string_view digits);

}  // namespace esms::demo

#endif  // ESMS_DEMO_GENERATOR_H_
