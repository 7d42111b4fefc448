// One-shot SHA-256 digests with a prefix byte, on a context kept by the calling thread
// (ledger/hash.cc): the record hash and the Merkle leaf hash of every record.
//
// Thread-safety: any thread (each uses its own context).
#ifndef ESMS_LEDGER_INTERNAL_SHA256_H_
#define ESMS_LEDGER_INTERNAL_SHA256_H_

#include <cstdint>

#include "ledger/hash.h"

namespace esms::ledger::internal {

// SHA-256(prefix || data).
Hash Sha256Prefixed(uint8_t prefix, ByteView data);

}  // namespace esms::ledger::internal

#endif  // ESMS_LEDGER_INTERNAL_SHA256_H_
