// The ledger's bulk reads for projections: ScanViews (the fields a fold needs, without
// the canonical-form and hash checks of Scan) and ScanSnapshots (one pass over a prefix
// of the snapshots column family). Declared in ledger/ledger.h.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "base/kj.h"
#include "ledger/internal/storage.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/ledger.h"
#include "ledger/record.capnp.h"

namespace esms::ledger {
namespace {

std::string_view TextOf(capnp::Text::Reader text) { return {text.begin(), text.size()}; }

// A record's bytes copied into `words` (Cap'n Proto reads whole aligned words; a
// RocksDB value is not aligned), then decoded into `view`. The view points into `words`.
Status DecodeView(std::string_view bytes, kj::Array<capnp::word>& words, Ledger::RecordView& view) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0 || bytes.size() > kMaxRecordBytes) {
    return Status::DataLoss(fmt::format("{} bytes is not a record", bytes.size()));
  }
  const size_t count = bytes.size() / sizeof(capnp::word);
  if (words.size() < count) {
    words = kj::heapArray<capnp::word>(std::max(count, 2 * words.size()));
  }
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  return base::RunCatchingKj(base::KjErrorMeans::kDataLoss, "malformed record", [&] {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = count * 2 + 64;
    options.nestingLimit = 8;
    // Canonical form: one segment, no segment table (ledger/record.h).
    kj::ArrayPtr<const capnp::word> segments[1] = {
        kj::arrayPtr(static_cast<const capnp::word*>(words.begin()), count)};
    capnp::SegmentArrayMessageReader message(kj::arrayPtr(segments, 1), options);
    auto rec = message.getRoot<schema::Record>();
    view.seq = rec.getSeq();
    // The statement's bytes sit at a word boundary of the record: read them in place.
    auto statement = rec.getStatement();
    const auto* begin = reinterpret_cast<const uint8_t*>(words.begin());
    const auto* first = statement.begin();
    if (statement.size() % sizeof(capnp::word) != 0 || first < begin ||
        (first - begin) % sizeof(capnp::word) != 0) {
      KJ_FAIL_REQUIRE("statement is not a whole number of aligned words");
    }
    kj::ArrayPtr<const capnp::word> inner[1] = {kj::arrayPtr(
        reinterpret_cast<const capnp::word*>(first), statement.size() / sizeof(capnp::word))};
    capnp::SegmentArrayMessageReader statement_message(kj::arrayPtr(inner, 1), options);
    auto st = statement_message.getRoot<schema::Statement>();
    view.event_id = TextOf(st.getEventId());
    view.stream = TextOf(st.getStream());
    view.type = TextOf(st.getType());
    view.signer = TextOf(st.getSigner());
    auto payload = st.getPayload();
    view.payload = ByteView(payload.begin(), payload.size());
  });
}

}  // namespace

Status Ledger::ScanViews(uint64_t from, uint64_t to_exclusive,
                         const std::function<Status(const RecordView&)>& fn) const {
  const uint64_t end = std::min(to_exclusive, size_);
  if (from >= end) return Status::OK();
  internal::ScanPerfOff perf_off;
  std::unique_ptr<rocksdb::Iterator> it = db_->NewIterator(db_->records(), true);
  kj::Array<capnp::word> words;
  RecordView view;
  uint64_t expected = from;
  const std::string first = storage::SeqKey(from);
  for (it->Seek(rocksdb::Slice(first)); it->Valid() && expected < end; it->Next()) {
    std::optional<uint64_t> seq = storage::ReadU64(it->key().ToStringView());
    if (!seq || *seq != expected) {
      return Status::DataLoss(fmt::format("seq {}: record missing", expected));
    }
    Status decoded = DecodeView(it->value().ToStringView(), words, view);
    if (!decoded.ok()) return std::move(decoded).WithContext(fmt::format("seq {}", expected));
    if (view.seq != expected) {
      return Status::DataLoss(
          fmt::format("seq {}: the record stored there holds seq {}", expected, view.seq));
    }
    RETURN_IF_ERROR(fn(view));
    ++expected;
  }
  RETURN_IF_ERROR(db_->Error(it->status(), fmt::format("cannot read seq {}", expected)));
  if (expected < end) return Status::DataLoss(fmt::format("seq {}: record missing", expected));
  return Status::OK();
}

Status Ledger::ScanSnapshots(
    std::string_view prefix,
    const std::function<Status(std::string_view name, uint64_t seq, ByteView state)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it = db_->NewIterator(db_->snapshots(), true);
  const rocksdb::Slice start(prefix.data(), prefix.size());
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    std::string_view name = it->key().ToStringView();
    std::string_view value = it->value().ToStringView();
    if (value.size() < 8) {
      return Status::DataLoss(fmt::format("snapshot '{}' is malformed", name));
    }
    const uint64_t seq = *storage::ReadU64(value.substr(0, 8));
    value.remove_prefix(8);
    RETURN_IF_ERROR(
        fn(name, seq, ByteView(reinterpret_cast<const uint8_t*>(value.data()), value.size())));
  }
  return db_->Error(it->status(), "cannot read the snapshots");
}

}  // namespace esms::ledger
