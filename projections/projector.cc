#include "projections/projector.h"

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/bounded_queue.h"
#include "domain/event_codec.h"
#include "ledger/hash.h"
#include "ledger/key_registry.h"

namespace esms::projections {

namespace {
// Written: v2 (binary state, ProgrammeState::Encode). Read: v2, and v1 (JSON state) of
// older ledgers, so that they open without a rebuild.
constexpr std::string_view kMagic = "esms-projection-snapshot/v2\n";
constexpr std::string_view kMagicV1 = "esms-projection-snapshot/v1\n";

// The snapshots key of measurement chunk `name`.
std::string ChunkKey(const std::string& name) {
  return std::string(kStateSnapshotName) + "/m/" + name;
}

// Every indicator.measured fact of records [0, seq) in chunks `names` (a chunk whose
// stored bytes are missing or damaged, and the others not loaded yet).
Result<std::vector<Fact<domain::IndicatorMeasured>>> MeasurementsOfChunks(
    const ledger::Ledger& ledger, const std::set<std::string>& names, uint64_t seq) {
  std::vector<Fact<domain::IndicatorMeasured>> out;
  RETURN_IF_ERROR(ledger.ScanViews(0, seq, [&](const ledger::Ledger::RecordView& record) {
    if (record.type != domain::IndicatorMeasured::kType) return Status::OK();
    ASSIGN_OR_RETURN(domain::EventData data, domain::DecodePayload(record.type, record.payload));
    auto& m = std::get<domain::IndicatorMeasured>(data);
    if (names.contains(MeasurementChunkOf(m.finess))) out.push_back({record.seq, std::move(m)});
    return Status::OK();
  }));
  return out;
}

}  // namespace

Projector::Projector(ledger::Ledger& ledger)
    : ledger_(ledger), guard_([&ledger](uint64_t seq) { return ledger.Get(seq); }) {}

Result<std::unique_ptr<Projector>> Projector::Open(ledger::Ledger& ledger) {
  std::unique_ptr<Projector> projector(new Projector(ledger));
  RETURN_IF_ERROR(projector->Reload());
  return projector;
}

ledger::Bytes Projector::SnapshotBytes(const ProgrammeState& state, const ledger::Hash& last_hash) {
  std::string head(kMagic);
  if (state.next_seq() > 0) head += ledger::ToHex(last_hash);
  head += "\n";
  ledger::Bytes bytes(head.begin(), head.end());
  ledger::Bytes body = state.EncodeParts().core;
  bytes.insert(bytes.end(), body.begin(), body.end());
  return bytes;
}

Result<ProgrammeState> Projector::LoadSnapshot() const {
  ASSIGN_OR_RETURN(auto stored, ledger_.GetSnapshot(kStateSnapshotName));
  if (!stored.has_value()) return Status::NotFound("no snapshot");
  const auto& [seq, bytes] = *stored;
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const bool v1 = text.starts_with(kMagicV1);
  if (text.starts_with(kMagic)) {
    text.remove_prefix(kMagic.size());
  } else if (v1) {
    text.remove_prefix(kMagicV1.size());
  } else {
    return Status::DataLoss("snapshot: unknown format");
  }
  size_t eol = text.find('\n');
  if (eol == std::string_view::npos) return Status::DataLoss("snapshot: truncated");
  std::string_view hash_hex = text.substr(0, eol);
  ledger::ByteView body(bytes.data() + (bytes.size() - text.size()) + eol + 1,
                        text.size() - eol - 1);
  ProgrammeState state;
  if (v1) {
    ASSIGN_OR_RETURN(state, ProgrammeState::Decode(body));
  } else {
    ledger::Ledger* ledger = &ledger_;
    MeasurementSource source;
    source.load = [ledger](const std::string& name) -> Result<std::optional<ledger::Bytes>> {
      ASSIGN_OR_RETURN(auto stored, ledger->GetSnapshot(ChunkKey(name)));
      if (!stored.has_value()) return std::optional<ledger::Bytes>();
      return std::optional<ledger::Bytes>(std::move(stored->second));
    };
    source.rebuild = [ledger](const std::set<std::string>& names, uint64_t seq) {
      return MeasurementsOfChunks(*ledger, names, seq);
    };
    source.scan = [ledger](const std::function<Status(const std::string&, ledger::ByteView)>& fn) {
      const std::string prefix = ChunkKey("");
      return ledger->ScanSnapshots(prefix, [&](std::string_view key, uint64_t, ledger::ByteView b) {
        return fn(std::string(key.substr(prefix.size())), b);
      });
    };
    ASSIGN_OR_RETURN(state, ProgrammeState::DecodeParts(body, std::move(source)));
  }
  if (state.next_seq() != seq) return Status::DataLoss("snapshot: seq does not match its state");
  if (seq > ledger_.size()) return Status::DataLoss("snapshot: beyond the ledger's size");
  if (seq > 0) {
    ASSIGN_OR_RETURN(ledger::Hash hash, ledger::HashFromHex(hash_hex));
    ASSIGN_OR_RETURN(ledger::Record last, ledger_.Get(seq - 1));
    if (last.hash != hash) {
      return Status::DataLoss("snapshot: its last record's hash differs from the ledger's");
    }
  }
  return state;
}

Status Projector::Reload() {
  replayed_ = 0;
  Result<ProgrammeState> snapshot = LoadSnapshot();
  if (snapshot.ok()) {
    state_ = std::move(snapshot).value();
    source_ = Source::kSnapshot;
    return CatchUp();
  }
  if (snapshot.status().code() == StatusCode::kIoError ||
      snapshot.status().code() == StatusCode::kUnavailable) {
    return snapshot.status();  // storage trouble is not a bad snapshot
  }
  return Rebuild();
}

Status Projector::Rebuild() {
  state_ = ProgrammeState();
  source_ = ledger_.size() == 0 ? Source::kEmpty : Source::kRebuilt;
  replayed_ = 0;
  return CatchUp();
}

namespace {

// Records decoded ahead of the fold (Projector::CatchUp): the event, or nothing for a
// key record (the ledger's KeyRegistry folds those; the state only counts them).
struct Decoded {
  uint64_t seq = 0;
  std::string_view type;  // a key record type when `data` is empty; else unused
  std::optional<domain::EventData> data;
  std::optional<domain::Date> at;  // targets.adjusted only (BusinessDateFor)
};

// The business date the fold needs with record `seq` of `type`: a targets.adjusted
// record's `at` (ProgrammeState::ApplyEvent, issue 13 item 17); nullopt for every
// other type. Ledger::ScanViews gives no date, so the record is read again: there
// are few adjustments.
Result<std::optional<domain::Date>> BusinessDateFor(const ledger::Ledger& ledger, uint64_t seq,
                                                    std::string_view type) {
  if (type != domain::TargetsAdjusted::kType) return std::optional<domain::Date>();
  ASSIGN_OR_RETURN(ledger::Record record, ledger.Get(seq));
  Result<domain::Date> at = domain::Date::Parse(record.at);
  if (!at.ok()) {
    return Status::DataLoss("seq " + std::to_string(seq) + ": business date \"" + record.at +
                            "\" is not a date");
  }
  return std::optional<domain::Date>(*at);
}

// Batches of decoded records handed from the reading thread to the folding one; at
// most kMaxBatches in flight, so memory stays bounded whatever the ledger's size.
constexpr size_t kBatch = 1024;
constexpr size_t kMaxBatches = 8;
using DecodedQueue = base::BoundedQueue<std::vector<Decoded>>;

// Below this many records the fold runs on the calling thread alone.
constexpr uint64_t kPipelineMin = 20000;

}  // namespace

Status Projector::CatchUp() {
  const uint64_t from = state_.next_seq();
  const uint64_t to = ledger_.size();
  if (to - from < kPipelineMin) {
    return ledger_.ScanViews(from, to, [&](const ledger::Ledger::RecordView& record) {
      ++replayed_;
      ASSIGN_OR_RETURN(std::optional<domain::Date> at,
                       BusinessDateFor(ledger_, record.seq, record.type));
      return state_.Apply(record.seq, record.type, record.payload, at);
    });
  }
  // Two cores: one thread reads and decodes the records (RocksDB scan, envelope,
  // Cap'n Proto payload with its canonical-form check), this one folds them, in order.
  DecodedQueue queue(kMaxBatches);
  Status read_status;  // how the reader ended; read after it is joined
  std::thread reader([&] {
    std::vector<Decoded> batch;
    batch.reserve(kBatch);
    bool stopped = false;
    Status status = ledger_.ScanViews(from, to, [&](const ledger::Ledger::RecordView& record) {
      Decoded d;
      d.seq = record.seq;
      if (ledger::IsKeyRecordType(record.type)) {
        // A static view: `record` is only valid during this call.
        d.type = record.type == ledger::kKeyEnrolledType ? ledger::kKeyEnrolledType
                                                         : ledger::kKeyRevokedType;
      } else {
        Result<domain::EventData> data = domain::DecodePayload(record.type, record.payload);
        if (!data.ok()) {
          return Status::DataLoss("seq " + std::to_string(record.seq) +
                                  ": payload does not decode: " + data.status().message());
        }
        d.data = std::move(data).value();
        ASSIGN_OR_RETURN(d.at, BusinessDateFor(ledger_, record.seq, record.type));
      }
      batch.push_back(std::move(d));
      if (batch.size() == kBatch) {
        if (!queue.Push(std::move(batch))) {
          stopped = true;
          return Status::Aborted("CATCH_UP_STOPPED", "the fold stopped");
        }
        batch = {};
        batch.reserve(kBatch);
      }
      return Status::OK();
    });
    if (status.ok() && !batch.empty() && !queue.Push(std::move(batch))) stopped = true;
    read_status = stopped ? Status::OK() : std::move(status);
    queue.Finish();
  });
  Status folded = Status::OK();
  while (std::optional<std::vector<Decoded>> batch = queue.Pop()) {
    for (const Decoded& d : *batch) {
      folded = d.data.has_value() ? state_.ApplyEvent(*d.data, d.seq, d.at)
                                  : state_.Apply(d.seq, d.type, {});
      if (!folded.ok()) break;
      ++replayed_;
    }
    if (!folded.ok()) {
      queue.Cancel();  // the reader's next Push returns false
      break;
    }
  }
  reader.join();
  RETURN_IF_ERROR(folded);
  return read_status;
}

Status Projector::SaveSnapshot() {
  if (ledger_.mode() != ledger::Ledger::Mode::kReadWrite) return Status::OK();
  ledger::Hash last{};
  if (state_.next_seq() > 0) {
    ASSIGN_OR_RETURN(ledger::Record record, ledger_.Get(state_.next_seq() - 1));
    last = record.hash;
  }
  // The changed measurement chunks first, then the core that lists their digests: a
  // crash in between leaves the old core, whose digests then do not match and whose
  // chunks are rebuilt from the records.
  SnapshotParts parts = state_.EncodeParts();
  for (const SnapshotParts::Chunk& chunk : parts.chunks) {
    if (chunk.reused) continue;
    RETURN_IF_ERROR(ledger_.PutSnapshot(ChunkKey(chunk.name), state_.next_seq(), chunk.bytes));
  }
  std::string head(kMagic);
  if (state_.next_seq() > 0) head += ledger::ToHex(last);
  head += "\n";
  ledger::Bytes bytes(head.begin(), head.end());
  bytes.insert(bytes.end(), parts.core.begin(), parts.core.end());
  RETURN_IF_ERROR(ledger_.PutSnapshot(kStateSnapshotName, state_.next_seq(), bytes));
  state_.NoteSaved(parts);
  return Status::OK();
}

Status Projector::Check(const domain::Event& event, const ledger::KeyInfo& signer) const {
  return guard_.Check(event, signer, state_.next_seq(), state_);
}

void Projector::Install(EventAppender& appender) {
  // The guard of an installed appender also sees the records staged in its batch, so
  // an event can void a record of the same, not yet committed, batch.
  appender.SetGuard([this, &appender](const domain::Event& event, const ledger::KeyInfo& signer) {
    Guard batch_guard([&appender](uint64_t seq) { return appender.Get(seq); });
    return batch_guard.Check(event, signer, state_.next_seq(), state_);
  });
  appender.SetObserver([this](const domain::Event& event, uint64_t seq, const ledger::KeyInfo&) {
    return state_.ApplyEvent(event.data, seq, event.at);
  });
}

}  // namespace esms::projections
