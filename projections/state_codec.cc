// ProgrammeState::Encode / Decode: the snapshot byte form of the state.
//
// Format version 5: binary, little-endian, deterministic (maps in key order, facts in
// seq order), so folding the same records always gives the same bytes. In two kinds
// of parts (SnapshotParts):
// - the core:
//     tag "esms-state-v5\n", u64 nextSeq
//     u32 #projects, each (by id): str id, fact submission, u8 decision (0 none,
//       1 selected, 2 rejected [+ fact], 3 selected then rejected before any convention
//       [+ the selection's fact + the rejection's fact]), fact lists conventions,
//       payments, expenses, extensions, invoices
//     u32 #establishments, each number with any fact (by FINESS): str finess,
//       u32 #links {str project, u64 seq}, fact lists sons, eu funds, adjustments
//       (each fact followed by i32 its record's business date, days), recorded funding
//     fact list changes (by `from`), fact list referencing, u32 #voided + u64 each
//     u8 kChunkPrefixSize, u32 #chunks, each (by name): str name, 32-byte SHA-256 of
//       the chunk's bytes (only chunks holding a measurement are listed)
//     32 bytes: SHA-256 of everything before (a snapshot is a cache: any flipped byte
//       makes it undecodable, and the projector then rebuilds);
// - a measurement chunk (the numbers whose first kChunkPrefixSize characters are its
//   name): tag "esms-measurements-v4\n", u32 #numbers, each (by FINESS, only those
//   with measurements): str finess, u32 #measurements, each a fixed 101-byte record
//   {u64 seq, i32 periodStart, i32 periodEnd (days), u8 presence bits
//   (personsEligible 1, ePrescriptionImports 2, eParcoursExchanges 4, soclePeriodStart
//   8, dmpDocuments 16), nine i64 counts in events.capnp order (absent ones 0), i32
//   soclePeriodStart (days, 0 when absent), i64 dmpDocuments (0 when absent)}: no FINESS
//   per measurement (it is the key), no Cap'n Proto, so decoding one is a few loads.
// str = u32 length + bytes; fact = u64 seq + u32 length + the event's canonical Cap'n
// Proto payload (domain::EncodePayload); fact list = u32 count + facts. Facts are
// decoded with domain::DecodeTrustedPayload: the digest vouches for them. Encode()
// (the whole state in one byte string) is the core followed by every listed chunk as
// u32 length + bytes. Derived values (status, ranks, organisations, lineage
// back-links) are not stored: decoding recomputes them.
//
// Format version 1 (still decoded, never written): one compact JSON object, keys
// sorted, each fact [seq, base64 of its Cap'n Proto payload].
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <type_traits>

#include "domain/event_codec.h"
#include "ledger/hash.h"
#include "projections/state.h"

namespace esms::projections {

namespace {

// ---- Version 1 (JSON), decoded only. ----

using nlohmann::json;
constexpr int kFormatVersion1 = 1;

template <typename T>
Result<Fact<T>> DecodeJsonFact(const json& j) {
  if (!j.is_array() || j.size() != 2 || !j[0].is_number_unsigned() || !j[1].is_string()) {
    return Status::DataLoss("snapshot: malformed fact");
  }
  ASSIGN_OR_RETURN(ledger::Bytes bytes, ledger::Base64Decode(j[1].get<std::string>()));
  ASSIGN_OR_RETURN(domain::EventData data, domain::DecodePayload(T::kType, bytes));
  if (!std::holds_alternative<T>(data)) return Status::DataLoss("snapshot: fact of wrong type");
  return Fact<T>{j[0].get<uint64_t>(), std::get<T>(std::move(data))};
}

template <typename T>
Status DecodeJsonFacts(const json& j, std::vector<Fact<T>>* out) {
  if (!j.is_array()) return Status::DataLoss("snapshot: malformed fact list");
  for (const json& item : j) {
    ASSIGN_OR_RETURN(Fact<T> f, DecodeJsonFact<T>(item));
    out->push_back(std::move(f));
  }
  return Status::OK();
}

// ---- Version 4 (binary). ----

// Version 4 (issue 13): decision 3 (selected then rejected), invoices, recorded
// funding, soclePeriodStart and dmpDocuments in the measurement record. Version 5
// (issue 13 item 17): the business date of each target adjustment (the measurement
// chunks keep their version 4 form). Version 2 to 4 cores are no longer decoded: the
// projector rebuilds them from the records.
constexpr std::string_view kTag2 = "esms-state-v5\n";
constexpr std::string_view kChunkTag = "esms-measurements-v4\n";
constexpr size_t kDigestSize = 32;
constexpr size_t kMeasurementSize = 8 + 4 + 4 + 1 + 9 * 8 + 4 + 8;

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I32(int64_t v) { Fixed(static_cast<uint32_t>(static_cast<int32_t>(v)), 4); }
  void I64(int64_t v) { Fixed(static_cast<uint64_t>(v), 8); }
  void Raw(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), p, p + size);
  }
  void Str(std::string_view text) {
    U32(static_cast<uint32_t>(text.size()));
    Raw(text.data(), text.size());
  }
  template <typename T>
  void FactOf(uint64_t seq, const T& data) {
    U64(seq);
    Result<std::vector<uint8_t>> bytes = domain::EncodePayload(domain::EventData(data));
    // Every programme type encodes; key types are never stored as facts.
    if (!bytes.ok()) {
      U32(0);
      return;
    }
    U32(static_cast<uint32_t>(bytes->size()));
    Raw(bytes->data(), bytes->size());
  }
  template <typename T>
  void Facts(const std::vector<Fact<T>>& facts) {
    U32(static_cast<uint32_t>(facts.size()));
    for (const auto& f : facts) FactOf(f.seq, f.data);
  }
  void Adjustments(const std::vector<AdjustmentFact>& facts) {
    U32(static_cast<uint32_t>(facts.size()));
    for (const auto& f : facts) {
      FactOf(f.seq, f.data);
      I32(f.at.days());
    }
  }
  void Measurements(const std::vector<Fact<domain::IndicatorMeasured>>& facts) {
    U32(static_cast<uint32_t>(facts.size()));
    out_.reserve(out_.size() + facts.size() * kMeasurementSize);
    for (const auto& f : facts) {
      const domain::IndicatorMeasured& m = f.data;
      U64(f.seq);
      I32(m.period_start.days());
      I32(m.period_end.days());
      U8(static_cast<uint8_t>((m.persons_eligible ? 1 : 0) | (m.e_prescription_imports ? 2 : 0) |
                              (m.e_parcours_exchanges ? 4 : 0) | (m.socle_period_start ? 8 : 0) |
                              (m.dmp_documents ? 16 : 0)));
      I64(m.persons_accompanied);
      I64(m.active_files);
      I64(m.active_files_with_plan);
      I64(m.active_files_with_agenda_event);
      I64(m.persons_eligible.value_or(0));
      I64(m.mssante_messages);
      I64(m.dmp_fed);
      I64(m.e_prescription_imports.value_or(0));
      I64(m.e_parcours_exchanges.value_or(0));
      I32(m.socle_period_start.has_value() ? m.socle_period_start->days() : 0);
      I64(m.dmp_documents.value_or(0));
    }
  }
  ledger::Bytes Take() { return std::move(out_); }
  const ledger::Bytes& bytes() const { return out_; }

 private:
  void Fixed(uint64_t v, int size) {
    for (int i = 0; i < size; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  ledger::Bytes out_;
};

// Reads what Writer wrote; any overrun or bad value sets a sticky error.
class Reader {
 public:
  explicit Reader(ledger::ByteView bytes)
      : begin_(bytes.data()), p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }
  uint8_t U8() { return static_cast<uint8_t>(Fixed(1)); }
  uint32_t U32() { return static_cast<uint32_t>(Fixed(4)); }
  uint64_t U64() { return Fixed(8); }
  int64_t I32() { return static_cast<int32_t>(static_cast<uint32_t>(Fixed(4))); }
  int64_t I64() { return static_cast<int64_t>(Fixed(8)); }
  std::string_view Str() {
    uint32_t size = U32();
    if (!Has(size)) return {};
    std::string_view text(reinterpret_cast<const char*>(p_), size);
    p_ += size;
    return text;
  }
  // A count of items of at least `min_item_size` bytes each: refused when the bytes
  // left cannot hold them (so a flipped count never reserves gigabytes).
  uint32_t Count(size_t min_item_size) {
    uint32_t n = U32();
    if (ok_ && static_cast<size_t>(end_ - p_) / min_item_size < n) ok_ = false;
    return ok_ ? n : 0;
  }
  void Read(void* out, size_t size) {
    if (Has(size)) {
      std::memcpy(out, p_, size);
      p_ += size;
    }
  }
  ledger::ByteView Bytes(size_t size) {
    if (!Has(size)) return {};
    ledger::ByteView view(p_, size);
    p_ += size;
    return view;
  }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  Status Fail(std::string_view what) {
    ok_ = false;
    return Status::DataLoss("snapshot: " + std::string(what));
  }

  template <typename T>
  Result<Fact<T>> FactOf() {
    uint64_t seq = U64();
    uint32_t size = U32();
    if (!Has(size)) return Fail("truncated fact");
    std::span<const uint8_t> payload(p_, size);
    p_ += size;
    Result<domain::EventData> data = domain::DecodeTrustedPayload(T::kType, payload);
    if (!data.ok() || !std::holds_alternative<T>(*data)) return Fail("bad fact");
    return Fact<T>{seq, std::get<T>(std::move(data).value())};
  }
  // Passes over a fact / a fact list, reading only their lengths.
  void SkipFact() {
    U64();
    Bytes(U32());
  }
  void SkipFacts() {
    const uint32_t n = Count(12);
    for (uint32_t i = 0; i < n; ++i) SkipFact();
  }
  template <typename T>
  Status Facts(std::vector<Fact<T>>* out) {
    uint32_t n = Count(12);
    out->reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      ASSIGN_OR_RETURN(Fact<T> f, FactOf<T>());
      out->push_back(std::move(f));
    }
    return ok_ ? Status::OK() : Fail("truncated fact list");
  }
  Status Adjustments(std::vector<AdjustmentFact>* out) {
    uint32_t n = Count(16);
    out->reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      ASSIGN_OR_RETURN(Fact<domain::TargetsAdjusted> f, FactOf<domain::TargetsAdjusted>());
      const domain::Date at = domain::Date::FromDays(I32());
      out->push_back({f.seq, at, std::move(f.data)});
    }
    return ok_ ? Status::OK() : Fail("truncated adjustment list");
  }
  Status Measurements(const domain::Finess& finess,
                      std::vector<Fact<domain::IndicatorMeasured>>* out) {
    uint32_t n = Count(kMeasurementSize);
    if (!ok_) return Fail("truncated measurements");
    out->resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Fact<domain::IndicatorMeasured>& f = (*out)[i];
      domain::IndicatorMeasured& m = f.data;
      f.seq = U64();
      m.finess = finess;
      m.period_start = domain::Date::FromDays(I32());
      m.period_end = domain::Date::FromDays(I32());
      const uint8_t present = U8();
      m.persons_accompanied = I64();
      m.active_files = I64();
      m.active_files_with_plan = I64();
      m.active_files_with_agenda_event = I64();
      const int64_t eligible = I64();
      m.mssante_messages = I64();
      m.dmp_fed = I64();
      const int64_t prescriptions = I64();
      const int64_t exchanges = I64();
      const int64_t socle = I32();
      const int64_t documents = I64();
      if (present & 1) m.persons_eligible = eligible;
      if (present & 8) m.socle_period_start = domain::Date::FromDays(socle);
      if (present & 2) m.e_prescription_imports = prescriptions;
      if (present & 4) m.e_parcours_exchanges = exchanges;
      if (present & 16) m.dmp_documents = documents;
      if (present > 31 || (!(present & 8) && socle != 0) || (!(present & 1) && eligible != 0) ||
          (!(present & 2) && prescriptions != 0) || (!(present & 4) && exchanges != 0) ||
          (!(present & 16) && documents != 0)) {
        return Fail("bad measurement");
      }
    }
    return ok_ ? Status::OK() : Fail("truncated measurements");
  }

 private:
  bool Has(size_t size) {
    if (!ok_ || static_cast<size_t>(end_ - p_) < size) ok_ = false;
    return ok_;
  }
  uint64_t Fixed(int size) {
    if (!Has(static_cast<size_t>(size))) return 0;
    uint64_t v = 0;
    for (int i = 0; i < size; ++i) v |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += size;
    return v;
  }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

}  // namespace

// The lazy part of a registry decoded from snapshot parts: the chunks not loaded yet.
struct EstablishmentRegistry::Lazy {
  MeasurementSource source;
  uint64_t seq = 0;                             // the snapshot's next_seq
  std::set<uint64_t> voided;                    // voided at that seq (a rebuilt chunk drops them)
  std::map<std::string, ledger::Hash> pending;  // chunk name -> digest listed by the core
  std::set<std::string> rebuilt;  // chunks rebuilt from the records: stored ones are bad
  std::mutex mutex;
  std::atomic<bool> all_loaded{false};
  Status status;
};

struct StateCodec {
  // ---- Encoding ----

  static void EncodeCore(const ProgrammeState& s, const std::vector<SnapshotParts::Chunk>& chunks,
                         Writer& w) {
    w.Raw(kTag2.data(), kTag2.size());
    w.U64(s.next_seq_);
    w.U32(static_cast<uint32_t>(s.projects_.size()));
    for (const auto& [id, p] : s.projects_) {
      w.Str(id);
      w.FactOf(p.submitted_seq, p.submission);
      if (!p.decision.has_value()) {
        w.U8(0);
      } else if (!p.decision->selected && p.overruled_selection.has_value()) {
        w.U8(3);
        w.FactOf(p.overruled_selection->seq,
                 domain::ProjectSelected{id, p.overruled_selection->committee_at});
        w.FactOf(p.decision->seq, domain::ProjectRejected{id, p.decision->reason});
      } else if (p.decision->selected) {
        w.U8(1);
        w.FactOf(p.decision->seq, domain::ProjectSelected{id, p.decision->committee_at});
      } else {
        w.U8(2);
        w.FactOf(p.decision->seq, domain::ProjectRejected{id, p.decision->reason});
      }
      w.Facts(p.conventions);
      w.Facts(p.payments);
      w.Facts(p.expenses);
      w.Facts(p.extensions);
      w.Facts(p.invoices);
    }
    // Every number with facts, measurements included (their chunk holds them).
    w.U32(static_cast<uint32_t>(s.registry_.facts_.size()));
    for (const auto& [finess, f] : s.registry_.facts_) {
      w.Str(finess.str());
      w.U32(static_cast<uint32_t>(f.project_records.size()));
      for (const auto& l : f.project_records) {
        w.Str(l.project);
        w.U64(l.seq);
      }
      w.Facts(f.sons);
      w.Facts(f.eu_funds);
      w.Adjustments(f.adjustments);
      w.Facts(f.recorded_funding);
    }
    w.U32(static_cast<uint32_t>(s.registry_.successor_.size()));
    for (const auto& [from, c] : s.registry_.successor_) w.FactOf(c.seq, c.data);
    w.Facts(s.referencing_);
    w.U32(static_cast<uint32_t>(s.voided_.size()));
    for (uint64_t seq : s.voided_) w.U64(seq);
    w.U8(static_cast<uint8_t>(kChunkPrefixSize));
    w.U32(static_cast<uint32_t>(chunks.size()));
    for (const auto& c : chunks) {
      w.Str(c.name);
      w.Raw(c.digest.data(), c.digest.size());
    }
    ledger::Hash digest = ledger::Sha256(ledger::ByteView(w.bytes()));
    w.Raw(digest.data(), digest.size());
  }

  using FactsIt = std::map<domain::Finess, EstablishmentFacts>::const_iterator;

  // The chunk of the numbers [begin, end) (one chunk name), or empty bytes when they
  // have no measurement.
  static ledger::Bytes EncodeChunk(FactsIt begin, FactsIt end) {
    Writer w;
    uint32_t n = 0;
    for (FactsIt it = begin; it != end; ++it) n += it->second.measurements.empty() ? 0 : 1;
    if (n == 0) return {};
    w.Raw(kChunkTag.data(), kChunkTag.size());
    w.U32(n);
    for (FactsIt it = begin; it != end; ++it) {
      if (it->second.measurements.empty()) continue;
      w.Str(it->first.str());
      w.Measurements(it->second.measurements);
    }
    return w.Take();
  }

  // True when chunk `name` was rebuilt from the records: its stored bytes are bad.
  static bool Rebuilt(const EstablishmentRegistry& r, const std::string& name) {
    if (r.lazy_ == nullptr) return false;
    std::lock_guard<std::mutex> lock(r.lazy_->mutex);
    return r.lazy_->rebuilt.contains(name);
  }

  // `reuse`: chunks with a known digest are listed without their bytes.
  static SnapshotParts EncodeParts(const ProgrammeState& s, bool reuse) {
    const EstablishmentRegistry& r = s.registry_;
    if (!reuse) r.LoadAll();
    SnapshotParts parts;
    const auto& facts = r.facts_;
    for (FactsIt it = facts.begin(); it != facts.end();) {
      std::string name = MeasurementChunkOf(it->first);
      FactsIt end = it;
      while (end != facts.end() && end->first.str().compare(0, kChunkPrefixSize, name) == 0) ++end;
      auto known = reuse && !Rebuilt(r, name) ? r.digests_.find(name) : r.digests_.end();
      if (known != r.digests_.end()) {
        parts.chunks.push_back({std::move(name), known->second, {}, true});
      } else if (ledger::Bytes bytes = EncodeChunk(it, end); !bytes.empty()) {
        ledger::Hash digest = ledger::Sha256(ledger::ByteView(bytes));
        parts.chunks.push_back({std::move(name), digest, std::move(bytes), false});
      }
      it = end;
    }
    Writer w;
    EncodeCore(s, parts.chunks, w);
    parts.core = w.Take();
    return parts;
  }

  static ledger::Bytes Encode(const ProgrammeState& s) {
    SnapshotParts parts = EncodeParts(s, /*reuse=*/false);
    Writer w;
    w.Raw(parts.core.data(), parts.core.size());
    for (const auto& c : parts.chunks) {
      w.U32(static_cast<uint32_t>(c.bytes.size()));
      w.Raw(c.bytes.data(), c.bytes.size());
    }
    return w.Take();
  }

  // ---- Decoding ----

  // The core at the start of `bytes`; `*consumed` gets its size. The state's registry
  // lists the chunks (digests_) but holds no measurement.
  static Result<ProgrammeState> DecodeCore(ledger::ByteView bytes, size_t* consumed) {
    if (bytes.size() < kTag2.size() + kDigestSize ||
        std::memcmp(bytes.data(), kTag2.data(), kTag2.size()) != 0) {
      return Status::DataLoss("snapshot: not a state of format 2");
    }
    Reader r(bytes.subspan(kTag2.size()));
    ProgrammeState s;
    s.next_seq_ = r.U64();
    const uint32_t projects = r.Count(8);
    // The projects and the establishments are independent parts of the core, and the
    // bulk of its decoding: the projects are decoded on a second thread while this one
    // decodes the rest (BENCHMARKS.md: the open of a ledger). Where the establishments
    // begin is found by passing over the projects' lengths.
    Reader projects_reader = r;
    for (uint32_t i = 0; i < projects && r.ok(); ++i) {
      r.Str();
      r.SkipFact();
      const uint8_t decision = r.U8();
      if (decision == 1 || decision == 2 || decision == 3) r.SkipFact();
      if (decision == 3) r.SkipFact();
      for (int list = 0; list < 5; ++list) r.SkipFacts();
    }
    if (!r.ok()) return r.Fail("malformed projects");
    Status projects_status;
    std::jthread projects_thread(
        [&] { projects_status = DecodeProjects(projects_reader, projects, &s.projects_); });
    const uint32_t establishments = r.Count(8);
    auto& facts = s.registry_.facts_;
    for (uint32_t i = 0; i < establishments; ++i) {
      Result<domain::Finess> finess = domain::Finess::Parse(r.Str());
      if (!finess.ok()) return r.Fail("bad FINESS");
      EstablishmentFacts f;
      const uint32_t links = r.Count(12);
      f.project_records.reserve(links);
      for (uint32_t k = 0; k < links; ++k) {
        std::string project(r.Str());
        f.project_records.push_back({std::move(project), r.U64()});
      }
      RETURN_IF_ERROR(r.Facts(&f.sons));
      RETURN_IF_ERROR(r.Facts(&f.eu_funds));
      RETURN_IF_ERROR(r.Adjustments(&f.adjustments));
      RETURN_IF_ERROR(r.Facts(&f.recorded_funding));
      if (!facts.empty() && !(std::prev(facts.end())->first < *finess)) {
        return r.Fail("establishments out of order");
      }
      facts.emplace_hint(facts.end(), std::move(finess).value(), std::move(f));
    }
    std::vector<Fact<domain::FinessChanged>> changes;
    RETURN_IF_ERROR(r.Facts(&changes));
    for (auto& c : changes) s.registry_.successor_.emplace(c.data.from, std::move(c));
    s.registry_.RebuildPredecessors();
    RETURN_IF_ERROR(r.Facts(&s.referencing_));
    const uint32_t voided = r.Count(8);
    for (uint32_t i = 0; i < voided; ++i) s.voided_.insert(s.voided_.end(), r.U64());
    // Chunks named after another prefix size would never be found: not this format.
    if (r.U8() != kChunkPrefixSize) return r.Fail("measurement chunks of another size");
    const uint32_t chunks = r.Count(4 + kDigestSize);
    for (uint32_t i = 0; i < chunks; ++i) {
      std::string name(r.Str());
      if (name.size() != kChunkPrefixSize) return r.Fail("bad chunk name");
      ledger::Hash digest{};
      r.Read(digest.data(), digest.size());
      if (!s.registry_.digests_.empty() && !(s.registry_.digests_.rbegin()->first < name)) {
        return r.Fail("chunks out of order");
      }
      s.registry_.digests_.emplace_hint(s.registry_.digests_.end(), std::move(name), digest);
    }
    if (!r.ok()) return r.Fail("malformed");
    projects_thread.join();
    RETURN_IF_ERROR(projects_status);
    s.RebuildEjNumbers();  // from the projects, decoded on the other thread
    const size_t size = kTag2.size() + r.offset();
    ledger::Hash digest = ledger::Sha256(bytes.first(size));
    if (bytes.size() - size < kDigestSize ||
        std::memcmp(digest.data(), bytes.data() + size, kDigestSize) != 0) {
      return Status::DataLoss("snapshot: digest mismatch");
    }
    *consumed = size + kDigestSize;
    return s;
  }

  // The `n` projects at `r` (EncodeCore's order) into `out`.
  static Status DecodeProjects(Reader r, uint32_t n,
                               std::map<std::string, Project, std::less<>>* out) {
    for (uint32_t i = 0; i < n; ++i) {
      const std::string id(r.Str());
      Project p;
      ASSIGN_OR_RETURN(auto submission, r.FactOf<domain::ProjectSubmitted>());
      p.submitted_seq = submission.seq;
      p.submission = std::move(submission.data);
      if (p.submission.project != id) return r.Fail("project id mismatch");
      switch (r.U8()) {
        case 0:
          break;
        case 1: {
          ASSIGN_OR_RETURN(auto d, r.FactOf<domain::ProjectSelected>());
          p.decision = Decision{d.seq, true, d.data.committee_at, ""};
          break;
        }
        case 2: {
          ASSIGN_OR_RETURN(auto d, r.FactOf<domain::ProjectRejected>());
          p.decision = Decision{d.seq, false, {}, std::move(d.data.reason)};
          break;
        }
        case 3: {
          ASSIGN_OR_RETURN(auto s, r.FactOf<domain::ProjectSelected>());
          ASSIGN_OR_RETURN(auto d, r.FactOf<domain::ProjectRejected>());
          p.overruled_selection = Decision{s.seq, true, s.data.committee_at, ""};
          p.decision = Decision{d.seq, false, {}, std::move(d.data.reason)};
          break;
        }
        default:
          return r.Fail("bad decision");
      }
      RETURN_IF_ERROR(r.Facts(&p.conventions));
      RETURN_IF_ERROR(r.Facts(&p.payments));
      RETURN_IF_ERROR(r.Facts(&p.expenses));
      RETURN_IF_ERROR(r.Facts(&p.extensions));
      RETURN_IF_ERROR(r.Facts(&p.invoices));
      RebuildProjectLists(p);
      if (!out->empty() && !(std::prev(out->end())->first < id)) {
        return r.Fail("projects out of order");
      }
      out->emplace_hint(out->end(), id, std::move(p));
    }
    return r.ok() ? Status::OK() : r.Fail("malformed projects");
  }

  // Decodes chunk `name` into the registry's facts (every number must be there,
  // without measurements yet); nothing is changed on an error.
  static Status DecodeChunk(const EstablishmentRegistry& registry, const std::string& name,
                            ledger::ByteView bytes) {
    if (bytes.size() < kChunkTag.size() ||
        std::memcmp(bytes.data(), kChunkTag.data(), kChunkTag.size()) != 0) {
      return Status::DataLoss("snapshot: bad chunk " + name);
    }
    Reader r(bytes.subspan(kChunkTag.size()));
    const uint32_t n = r.Count(8);
    std::vector<std::pair<EstablishmentFacts*, std::vector<Fact<domain::IndicatorMeasured>>>> out;
    out.reserve(n);
    std::string_view last;
    for (uint32_t i = 0; i < n; ++i) {
      std::string_view text = r.Str();
      if (!r.ok() || text.substr(0, kChunkPrefixSize) != name || (i > 0 && !(last < text))) {
        return r.Fail("chunk " + name + ": bad FINESS");
      }
      last = text;
      Result<domain::Finess> finess = domain::Finess::Parse(text);
      if (!finess.ok()) return r.Fail("chunk " + name + ": bad FINESS");
      auto it = registry.facts_.find(*finess);
      if (it == registry.facts_.end() || !it->second.measurements.empty()) {
        return r.Fail("chunk " + name + ": FINESS not in the core");
      }
      out.emplace_back(&it->second, std::vector<Fact<domain::IndicatorMeasured>>());
      RETURN_IF_ERROR(r.Measurements(*finess, &out.back().second));
      if (out.back().second.empty()) return r.Fail("chunk " + name + ": empty list");
    }
    if (!r.ok() || !r.at_end()) return r.Fail("chunk " + name + ": malformed");
    for (auto& [facts, measurements] : out) facts->measurements = std::move(measurements);
    return Status::OK();
  }

  // Loads chunk `name` (lazy->mutex held): the stored bytes if they match the core's
  // digest, else the chunk rebuilt from the records.
  static Status LoadLocked(const EstablishmentRegistry& registry, EstablishmentRegistry::Lazy& lazy,
                           const std::string& name, const ledger::Hash& digest) {
    if (lazy.source.load) {
      Result<std::optional<ledger::Bytes>> stored = lazy.source.load(name);
      if (stored.ok() && stored->has_value() &&
          ledger::Sha256(ledger::ByteView(**stored)) == digest &&
          DecodeChunk(registry, name, **stored).ok()) {
        return Status::OK();
      }
    }
    if (!lazy.source.rebuild) {
      return Status::DataLoss("snapshot: measurement chunk " + name + " is missing or damaged");
    }
    // One pass over the records for this chunk and every other one not loaded yet
    // (their stored bytes may be as stale): all of them are loaded from the records.
    std::set<std::string> names;
    for (const auto& [pending, digest] : lazy.pending) names.insert(pending);
    names.insert(name);
    lazy.rebuilt.insert(names.begin(), names.end());
    ASSIGN_OR_RETURN(auto rebuilt, lazy.source.rebuild(names, lazy.seq));
    lazy.pending.clear();
    for (auto& m : rebuilt) {
      if (lazy.voided.contains(m.seq)) continue;
      auto it = registry.facts_.find(m.data.finess);
      if (it == registry.facts_.end()) {
        return Status::DataLoss("snapshot: FINESS " + m.data.finess.str() + " not in the core");
      }
      it->second.measurements.push_back(std::move(m));
    }
    return Status::OK();
  }

  static Result<ProgrammeState> DecodeParts(ledger::ByteView core, MeasurementSource source) {
    size_t consumed = 0;
    ASSIGN_OR_RETURN(ProgrammeState s, DecodeCore(core, &consumed));
    if (consumed != core.size()) return Status::DataLoss("snapshot: trailing bytes");
    if (!s.registry_.digests_.empty()) {
      auto lazy = std::make_unique<EstablishmentRegistry::Lazy>();
      lazy->source = std::move(source);
      lazy->seq = s.next_seq_;
      lazy->voided = s.voided_;
      lazy->pending = s.registry_.digests_;
      s.registry_.lazy_ = std::move(lazy);
    }
    return s;
  }

  static Result<ProgrammeState> Decode2(ledger::ByteView bytes) {
    size_t consumed = 0;
    ASSIGN_OR_RETURN(ProgrammeState s, DecodeCore(bytes, &consumed));
    Reader r(bytes.subspan(consumed));
    for (const auto& [name, digest] : s.registry_.digests_) {
      const uint32_t size = r.U32();
      ledger::ByteView chunk = r.Bytes(size);
      if (!r.ok() || ledger::Sha256(chunk) != digest)
        return r.Fail("chunk " + name + ": digest mismatch");
      RETURN_IF_ERROR(DecodeChunk(s.registry_, name, chunk));
    }
    if (!r.at_end()) return r.Fail("trailing bytes");
    s.registry_.digests_.clear();  // none of these chunks is stored anywhere
    return s;
  }

  static Result<ProgrammeState> Decode1(const json& j) {
    ProgrammeState s;
    if (!j.is_object() || j.value("format", 0) != kFormatVersion1) {
      return Status::DataLoss("snapshot: unknown format");
    }
    s.next_seq_ = j.at("nextSeq").get<uint64_t>();
    for (const auto& [id, jp] : j.at("projects").items()) {
      Project p;
      ASSIGN_OR_RETURN(auto submission,
                       DecodeJsonFact<domain::ProjectSubmitted>(jp.at("submission")));
      p.submitted_seq = submission.seq;
      p.submission = std::move(submission.data);
      if (p.submission.project != id) return Status::DataLoss("snapshot: project id mismatch");
      if (jp.contains("decision")) {
        if (jp.at("selected").get<bool>()) {
          ASSIGN_OR_RETURN(auto d, DecodeJsonFact<domain::ProjectSelected>(jp.at("decision")));
          p.decision = Decision{d.seq, true, d.data.committee_at, ""};
        } else {
          ASSIGN_OR_RETURN(auto d, DecodeJsonFact<domain::ProjectRejected>(jp.at("decision")));
          p.decision = Decision{d.seq, false, {}, d.data.reason};
        }
      }
      RETURN_IF_ERROR(DecodeJsonFacts(jp.at("conventions"), &p.conventions));
      RETURN_IF_ERROR(DecodeJsonFacts(jp.at("payments"), &p.payments));
      RETURN_IF_ERROR(DecodeJsonFacts(jp.at("expenses"), &p.expenses));
      RETURN_IF_ERROR(DecodeJsonFacts(jp.at("extensions"), &p.extensions));
      RebuildProjectLists(p);
      s.projects_.emplace(id, std::move(p));
    }
    for (const auto& [number, je] : j.at("establishments").items()) {
      ASSIGN_OR_RETURN(domain::Finess finess, domain::Finess::Parse(number));
      EstablishmentFacts f;
      for (const json& l : je.at("links")) {
        f.project_records.push_back({l.at(0).get<std::string>(), l.at(1).get<uint64_t>()});
      }
      RETURN_IF_ERROR(DecodeJsonFacts(je.at("sons"), &f.sons));
      RETURN_IF_ERROR(DecodeJsonFacts(je.at("eu"), &f.eu_funds));
      RETURN_IF_ERROR(DecodeJsonFacts(je.at("measurements"), &f.measurements));
      // A version 1 state keeps no business date for its adjustments (issue 13 item
      // 17 needs it): such a snapshot is not used, the projector rebuilds the state.
      if (!je.at("adjustments").empty()) {
        return Status::DataLoss("snapshot: a version 1 state has no date for its adjustments");
      }
      s.registry_.facts_.emplace(finess, std::move(f));
    }
    std::vector<Fact<domain::FinessChanged>> changes;
    RETURN_IF_ERROR(DecodeJsonFacts(j.at("changes"), &changes));
    for (auto& c : changes) s.registry_.successor_.emplace(c.data.from, std::move(c));
    s.registry_.RebuildPredecessors();
    s.RebuildEjNumbers();
    RETURN_IF_ERROR(DecodeJsonFacts(j.at("referencing"), &s.referencing_));
    s.voided_ = j.at("voided").get<std::set<uint64_t>>();
    return s;
  }
};

ledger::Bytes ProgrammeState::Encode() const { return StateCodec::Encode(*this); }

SnapshotParts ProgrammeState::EncodeParts() const {
  return StateCodec::EncodeParts(*this, /*reuse=*/true);
}

void ProgrammeState::NoteSaved(const SnapshotParts& parts) {
  registry_.digests_.clear();
  for (const auto& c : parts.chunks) registry_.digests_.emplace(c.name, c.digest);
}

Result<ProgrammeState> ProgrammeState::DecodeParts(ledger::ByteView core,
                                                   MeasurementSource source) {
  return StateCodec::DecodeParts(core, std::move(source));
}

// ---- EstablishmentRegistry: value semantics and lazy chunks ----

EstablishmentRegistry::EstablishmentRegistry() = default;
EstablishmentRegistry::~EstablishmentRegistry() = default;
EstablishmentRegistry::EstablishmentRegistry(EstablishmentRegistry&& other) noexcept = default;
EstablishmentRegistry& EstablishmentRegistry::operator=(EstablishmentRegistry&& other) noexcept =
    default;

EstablishmentRegistry::EstablishmentRegistry(const EstablishmentRegistry& other) { *this = other; }

EstablishmentRegistry& EstablishmentRegistry::operator=(const EstablishmentRegistry& other) {
  if (this == &other) return *this;
  other.LoadAll();
  facts_ = other.facts_;
  successor_ = other.successor_;
  predecessors_ = other.predecessors_;
  digests_ = other.digests_;
  lazy_.reset();
  return *this;
}

void EstablishmentRegistry::LoadChunk(const std::string& chunk) const {
  if (lazy_ == nullptr || lazy_->all_loaded.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(lazy_->mutex);
  auto it = lazy_->pending.find(chunk);
  if (it == lazy_->pending.end()) return;
  const std::string name = it->first;
  const ledger::Hash digest = it->second;
  lazy_->pending.erase(it);  // LoadLocked may take the other pending chunks too
  Status status = StateCodec::LoadLocked(*this, *lazy_, name, digest);
  if (!status.ok() && lazy_->status.ok()) lazy_->status = status;
  if (lazy_->pending.empty()) lazy_->all_loaded.store(true, std::memory_order_release);
}

void EstablishmentRegistry::LoadAll() const {
  if (lazy_ == nullptr || lazy_->all_loaded.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(lazy_->mutex);
  if (lazy_->source.scan) {
    // One pass over the stored chunks; a chunk that is absent, stale or damaged stays
    // pending and takes the path below (its bytes read again, then rebuilt).
    Status scanned = lazy_->source.scan([&](const std::string& name, ledger::ByteView bytes) {
      auto it = lazy_->pending.find(name);
      if (it != lazy_->pending.end() && ledger::Sha256(bytes) == it->second &&
          StateCodec::DecodeChunk(*this, name, bytes).ok()) {
        lazy_->pending.erase(it);
      }
      return Status::OK();
    });
    (void)scanned;  // an unreadable scan leaves the chunks pending: read one by one below
  }
  while (!lazy_->pending.empty()) {
    auto it = lazy_->pending.begin();
    const std::string name = it->first;
    const ledger::Hash digest = it->second;
    lazy_->pending.erase(it);
    Status status = StateCodec::LoadLocked(*this, *lazy_, name, digest);
    if (!status.ok() && lazy_->status.ok()) lazy_->status = status;
  }
  lazy_->all_loaded.store(true, std::memory_order_release);
}

Status EstablishmentRegistry::load_status() const {
  if (lazy_ == nullptr) return Status::OK();
  std::lock_guard<std::mutex> lock(lazy_->mutex);
  return lazy_->status;
}

Result<ProgrammeState> ProgrammeState::Decode(ledger::ByteView bytes) {
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.starts_with(kTag2)) return StateCodec::Decode2(bytes);
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::DataLoss("snapshot: unknown format");
  try {
    return StateCodec::Decode1(j);
  } catch (const json::exception& e) {  // a missing or mistyped member
    return Status::DataLoss(std::string("snapshot: ") + e.what());
  }
}

}  // namespace esms::projections
