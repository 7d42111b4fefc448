// The ledger's Merkle tree, RFC 9162 §2.1 (RFC 6962 hashing): leaf and node hashes,
// the tree head of n leaves, inclusion and consistency proofs and their verification.
//
// The tree is stored as the hashes of its complete ("perfect") subtrees, addressed by
// (level, index): level 0 holds the leaf hashes, and (level, index) covers the leaves
// [index << level, (index + 1) << level). Appending leaf number i completes O(log n)
// such nodes; the root of any size and every proof read O(log n) of them. Storage is
// abstracted by SubtreeStore so the same code serves RocksDB and in-memory trees.
//
// Proofs are lists of hashes in RFC 9162 order (leaf-to-root), so any independent
// RFC 9162 verifier accepts them. Sizes beyond the tree (the store's Get(0, size - 1)
// is NotFound), index >= size and old_size > new_size are
// Status::InvalidArgument.
//
// Thread-safety: free functions are pure (they only call the const Get() of the store
// given). A MemoryTree is not synchronized: concurrent const use is safe, Append is not.
#ifndef ESMS_LEDGER_MERKLE_H_
#define ESMS_LEDGER_MERKLE_H_

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "base/status.h"
#include "ledger/hash.h"

namespace esms::ledger {

// MTH({}) = SHA-256("").
Hash EmptyRoot();
// SHA-256(0x00 || leaf).
Hash LeafHash(ByteView leaf);
// SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);
// The reference O(n) MTH over the given leaf hashes (RFC 9162 §2.1.1).
Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes);

// Source of complete subtree hashes. Get() of a node that does not (yet) exist returns
// a non-OK status (NotFound or what the store found).
class SubtreeStore {
 public:
  virtual ~SubtreeStore() = default;
  virtual Result<Hash> Get(int level, uint64_t index) const = 0;
};

struct SubtreeNode {
  int level;
  uint64_t index;
  Hash hash;
};

// The nodes that become complete when leaf number `index` (0-based; the tree then has
// index+1 leaves) with hash `leaf_hash` is appended: (0, index, leaf_hash), then each
// parent completed, lowest level first, reading left siblings from `store`. O(log n).
Result<std::vector<SubtreeNode>> NodesCompletedByAppend(uint64_t index, const Hash& leaf_hash,
                                                        const SubtreeStore& store);
// MTH of the first `size` leaves; O(log n) reads. BAD_INPUT if the store holds fewer
// than `size` leaves (its Get(0, size - 1) is NotFound); other store errors pass through.
Result<Hash> RootAt(uint64_t size, const SubtreeStore& store);
// PATH(index, D[0:size]) (RFC 9162 §2.1.3.1). BAD_INPUT if index >= size.
Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size, const SubtreeStore& store);
// PROOF(old_size, D[0:new_size]) (RFC 9162 §2.1.4.1); empty when old_size is 0 or
// equals new_size. BAD_INPUT if old_size > new_size.
Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size,
                                           const SubtreeStore& store);
// RFC 9162 §2.1.3.2.
bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                     std::span<const Hash> proof, const Hash& root);
// RFC 9162 §2.1.4.2; additionally accepts old_size == new_size with an empty proof and
// equal roots, and old_size == 0 with an empty proof (the empty tree is a prefix of any).
bool VerifyConsistency(uint64_t old_size, uint64_t new_size, std::span<const Hash> proof,
                       const Hash& old_root, const Hash& new_root);

// An in-memory tree of complete subtrees, for tests and evidence bundles.
class MemoryTree : public SubtreeStore {
 public:
  void Append(const Hash& leaf_hash);
  uint64_t size() const;
  Hash Root() const;
  Result<Hash> Get(int level, uint64_t index) const override;

 private:
  std::vector<std::vector<Hash>> levels_;  // levels_[l][i] = node (l, i)
};

// The nodes an append staged (not yet stored) over a store's: what a batch or a
// replica's append reads while it computes the nodes it completes.
class OverlayTree final : public SubtreeStore {
 public:
  using Staged = std::map<std::pair<int, uint64_t>, Hash>;
  OverlayTree(const Staged& staged, const SubtreeStore& stored)
      : staged_(staged), stored_(stored) {}
  Result<Hash> Get(int level, uint64_t index) const override {
    auto it = staged_.find({level, index});
    if (it != staged_.end()) return it->second;
    return stored_.Get(level, index);
  }

 private:
  const Staged& staged_;
  const SubtreeStore& stored_;
};

}  // namespace esms::ledger

#endif  // ESMS_LEDGER_MERKLE_H_
