#include "ledger/merkle.h"

#include <algorithm>
#include <bit>
#include <string>

#include "ledger/internal/sha256.h"

namespace esms::ledger {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// The largest power of two strictly smaller than n (n >= 2): RFC 9162's split point k.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// MTH(D[begin : begin + n]) for n >= 1, where `begin` is a multiple of the smallest power
// of two >= n (true of every range RFC 9162's recursion visits). The range is the
// concatenation of complete subtrees, one per set bit of n, largest first; the MTH folds
// them right to left. At most 64 reads.
Result<Hash> RangeHash(uint64_t begin, uint64_t n, const SubtreeStore& store) {
  Hash parts[64];
  int count = 0;
  uint64_t offset = begin;
  for (int level = 63; level >= 0; --level) {
    uint64_t width = uint64_t{1} << level;
    if ((n & width) == 0) continue;
    ASSIGN_OR_RETURN(parts[count], store.Get(level, offset >> level));
    ++count;
    offset += width;
  }
  Hash acc = parts[count - 1];
  for (int i = count - 2; i >= 0; --i) acc = NodeHash(parts[i], acc);
  return acc;
}

// BAD_INPUT unless the store holds at least `size` leaves (leaf size-1 exists).
Status CheckSize(uint64_t size, const SubtreeStore& store) {
  if (size == 0) return Status::OK();
  Result<Hash> last = store.Get(0, size - 1);
  if (last.ok()) return Status::OK();
  if (last.status().code() == StatusCode::kNotFound) {
    return Status::BadInput("tree size " + std::to_string(size) + " is beyond the tree");
  }
  return last.status();
}

}  // namespace

Hash EmptyRoot() { return Sha256(ByteView()); }

Hash LeafHash(ByteView leaf) { return internal::Sha256Prefixed(kLeafPrefix, leaf); }

Hash NodeHash(const Hash& left, const Hash& right) {
  uint8_t buf[1 + 2 * 32];
  buf[0] = kNodePrefix;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  return Sha256(ByteView(buf, sizeof(buf)));
}

Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes) {
  const uint64_t n = leaf_hashes.size();
  if (n == 0) return EmptyRoot();
  if (n == 1) return leaf_hashes[0];
  const uint64_t k = SplitPoint(n);
  return NodeHash(RootFromLeafHashes(leaf_hashes.subspan(0, k)),
                  RootFromLeafHashes(leaf_hashes.subspan(k)));
}

Result<std::vector<SubtreeNode>> NodesCompletedByAppend(uint64_t index, const Hash& leaf_hash,
                                                        const SubtreeStore& store) {
  std::vector<SubtreeNode> nodes;
  nodes.push_back({0, index, leaf_hash});
  Hash acc = leaf_hash;
  int level = 0;
  uint64_t i = index;
  // A right child completes its parent; its left sibling is already stored.
  while ((i & 1) == 1) {
    ASSIGN_OR_RETURN(Hash left, store.Get(level, i - 1));
    acc = NodeHash(left, acc);
    i >>= 1;
    ++level;
    nodes.push_back({level, i, acc});
  }
  return nodes;
}

Result<Hash> RootAt(uint64_t size, const SubtreeStore& store) {
  if (size == 0) return EmptyRoot();
  RETURN_IF_ERROR(CheckSize(size, store));
  return RangeHash(0, size, store);
}

Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size, const SubtreeStore& store) {
  if (index >= size) {
    return Status::BadInput("leaf index " + std::to_string(index) + " is not below tree size " +
                            std::to_string(size));
  }
  RETURN_IF_ERROR(CheckSize(size, store));
  // RFC 9162 §2.1.3.1, unrolled from the root down; the proof lists siblings leaf first.
  std::vector<Hash> top_down;
  uint64_t begin = 0, n = size, m = index;
  while (n > 1) {
    const uint64_t k = SplitPoint(n);
    if (m < k) {
      ASSIGN_OR_RETURN(Hash right, RangeHash(begin + k, n - k, store));
      top_down.push_back(right);
      n = k;
    } else {
      ASSIGN_OR_RETURN(Hash left, RangeHash(begin, k, store));
      top_down.push_back(left);
      begin += k;
      m -= k;
      n -= k;
    }
  }
  std::reverse(top_down.begin(), top_down.end());
  return top_down;
}

Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size,
                                           const SubtreeStore& store) {
  if (old_size > new_size) {
    return Status::BadInput("old size " + std::to_string(old_size) + " is larger than new size " +
                            std::to_string(new_size));
  }
  RETURN_IF_ERROR(CheckSize(new_size, store));
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  // RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], true), unrolled from the root down.
  std::vector<Hash> top_down;
  uint64_t begin = 0, n = new_size, m = old_size;
  bool whole_old_tree = true;  // b: D[begin:begin+m] is still the whole old tree
  while (m != n) {
    const uint64_t k = SplitPoint(n);
    if (m <= k) {
      ASSIGN_OR_RETURN(Hash right, RangeHash(begin + k, n - k, store));
      top_down.push_back(right);
      n = k;
    } else {
      ASSIGN_OR_RETURN(Hash left, RangeHash(begin, k, store));
      top_down.push_back(left);
      begin += k;
      m -= k;
      n -= k;
      whole_old_tree = false;
    }
  }
  if (!whole_old_tree) {
    ASSIGN_OR_RETURN(Hash node, RangeHash(begin, n, store));
    proof.push_back(node);
  }
  proof.insert(proof.end(), top_down.rbegin(), top_down.rend());
  return proof;
}

bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                     std::span<const Hash> proof, const Hash& root) {
  // RFC 9162 §2.1.3.2.
  if (index >= size) return false;
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t old_size, uint64_t new_size, std::span<const Hash> proof,
                       const Hash& old_root, const Hash& new_root) {
  if (old_size > new_size) return false;
  if (old_size == 0) return proof.empty() && old_root == EmptyRoot();
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  // RFC 9162 §2.1.4.2.
  if (proof.empty()) return false;
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

void MemoryTree::Append(const Hash& leaf_hash) {
  uint64_t index = size();
  Result<std::vector<SubtreeNode>> nodes = NodesCompletedByAppend(index, leaf_hash, *this);
  // Every left sibling of a new node is held here, so this cannot fail.
  for (const SubtreeNode& node : nodes.value()) {
    if (levels_.size() <= static_cast<size_t>(node.level)) levels_.resize(node.level + 1);
    levels_[node.level].push_back(node.hash);
  }
}

uint64_t MemoryTree::size() const { return levels_.empty() ? 0 : levels_[0].size(); }

Hash MemoryTree::Root() const { return RootAt(size(), *this).value(); }

Result<Hash> MemoryTree::Get(int level, uint64_t index) const {
  if (level < 0 || static_cast<size_t>(level) >= levels_.size() || index >= levels_[level].size()) {
    return Status::NotFound("no complete subtree (" + std::to_string(level) + ", " +
                            std::to_string(index) + ")");
  }
  return levels_[level][index];
}

}  // namespace esms::ledger
