// Private to ledger/ (and its tests): the RocksDB layout of a ledger directory, as
// docs/format.md specifies it: column family names and the encoding of their keys and
// values. Integers are big-endian so that RocksDB's bytewise order is numeric order.
//
// Thread-safety: constants and pure functions.
#ifndef ESMS_LEDGER_INTERNAL_STORAGE_KEYS_H_
#define ESMS_LEDGER_INTERNAL_STORAGE_KEYS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace esms::ledger::storage {

// Column families (besides RocksDB's mandatory "default", which stays empty).
inline constexpr std::string_view kRecords = "records";          // seq -> record bytes
inline constexpr std::string_view kEventIds = "event_ids";       // event id -> seq
inline constexpr std::string_view kStreams = "streams";          // stream 0x00 version -> seq
inline constexpr std::string_view kTree = "tree";                // level index -> hash
inline constexpr std::string_view kCheckpoints = "checkpoints";  // size -> signed note
inline constexpr std::string_view kSnapshots = "snapshots";      // name -> seq state
inline constexpr std::string_view kMeta = "meta";                // see below
inline constexpr std::array<std::string_view, 7> kColumnFamilies = {
    kRecords, kEventIds, kStreams, kTree, kCheckpoints, kSnapshots, kMeta};

// Keys of the meta column family.
inline constexpr std::string_view kMetaFormat = "format";         // "2"
inline constexpr std::string_view kMetaOrigin = "origin";         // checkpoint origin
inline constexpr std::string_view kMetaLedgerKey = "ledger_key";  // 32-byte public key
inline constexpr std::string_view kMetaHead = "head";             // u64 size || hash
inline constexpr std::string_view kMetaKeyRecordPrefix = "key/";  // "key/" u64 seq -> ""
inline constexpr std::string_view kFormatVersion = "2";  // record format 2 (ledger/record.h)

inline void AppendU64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

// Big-endian u64 of exactly 8 bytes; nullopt otherwise.
inline std::optional<uint64_t> ReadU64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<uint8_t>(c);
  return value;
}

inline std::string U64Key(uint64_t value) {
  std::string out;
  AppendU64(out, value);
  return out;
}

// records, checkpoints: u64 big-endian.
inline std::string SeqKey(uint64_t seq) { return U64Key(seq); }

// streams: stream || 0x00 || u64 version (stream names contain no NUL).
inline std::string StreamPrefix(std::string_view stream) {
  std::string out(stream);
  out.push_back('\0');
  return out;
}
inline std::string StreamKey(std::string_view stream, uint64_t version) {
  std::string out = StreamPrefix(stream);
  AppendU64(out, version);
  return out;
}

// tree: u8 level || u64 index.
inline std::string TreeKey(int level, uint64_t index) {
  std::string out(1, static_cast<char>(level));
  AppendU64(out, index);
  return out;
}

// meta "head": u64 size || 32-byte hash of the last record (zeros when empty).
inline std::string HeadValue(uint64_t size, const std::array<uint8_t, 32>& hash) {
  std::string out = U64Key(size);
  out.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  return out;
}

inline std::string KeyRecordKey(uint64_t seq) {
  std::string out(kMetaKeyRecordPrefix);
  AppendU64(out, seq);
  return out;
}

}  // namespace esms::ledger::storage

#endif  // ESMS_LEDGER_INTERNAL_STORAGE_KEYS_H_
