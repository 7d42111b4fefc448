#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/ledger/rfc6962_vectors.h"

namespace esms::ledger {
namespace {

// RFC 6962 / transparency-dev/merkle reference data (tests/ledger/rfc6962_vectors.h).
using rfc6962::kLeafHex;
using rfc6962::kRootHex;

Hash H(std::string_view hex) { return HashFromHex(hex).value(); }

std::vector<std::string> Hexes(std::span<const Hash> hashes) {
  std::vector<std::string> out;
  for (const Hash& h : hashes) out.push_back(ToHex(h));
  return out;
}

std::vector<Hash> ReferenceLeafHashes() {
  std::vector<Hash> out;
  for (const std::string& hex : kLeafHex) out.push_back(LeafHash(FromHex(hex).value()));
  return out;
}

MemoryTree TreeOf(std::span<const Hash> leaf_hashes) {
  MemoryTree tree;
  for (const Hash& h : leaf_hashes) tree.Append(h);
  return tree;
}

// Distinct leaf hashes for generated trees.
std::vector<Hash> GeneratedLeafHashes(uint64_t n) {
  std::vector<Hash> out;
  for (uint64_t i = 0; i < n; ++i) out.push_back(LeafHash(AsBytes("leaf " + std::to_string(i))));
  return out;
}

// A SubtreeStore over a map, fed only by NodesCompletedByAppend.
class MapStore : public SubtreeStore {
 public:
  Result<Hash> Get(int level, uint64_t index) const override {
    auto it = nodes_.find({level, index});
    if (it == nodes_.end()) return Status::NotFound("NOT_FOUND", "no node");
    return it->second;
  }
  void Put(const SubtreeNode& node) { nodes_[{node.level, node.index}] = node.hash; }
  size_t node_count() const { return nodes_.size(); }

 private:
  std::map<std::pair<int, uint64_t>, Hash> nodes_;
};

Hash Flipped(Hash h, int byte = 0, uint8_t mask = 0x08) {
  h[byte] ^= mask;
  return h;
}

TEST(MerkleTest, HashingVectors) {
  EXPECT_EQ(ToHex(EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(LeafHash(ByteView())),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(ToHex(RootFromLeafHashes({})), ToHex(EmptyRoot()));
  const std::vector<Hash> leaves = ReferenceLeafHashes();
  // Node hash is SHA-256(0x01 || left || right).
  Bytes node_input = {0x01};
  node_input.insert(node_input.end(), leaves[0].begin(), leaves[0].end());
  node_input.insert(node_input.end(), leaves[1].begin(), leaves[1].end());
  EXPECT_EQ(NodeHash(leaves[0], leaves[1]), Sha256(node_input));
}

TEST(MerkleTest, ReferenceRootsForEachSize) {
  const std::vector<Hash> leaves = ReferenceLeafHashes();
  MemoryTree tree;
  EXPECT_EQ(tree.Root(), EmptyRoot());
  for (size_t n = 1; n <= leaves.size(); ++n) {
    tree.Append(leaves[n - 1]);
    EXPECT_EQ(ToHex(RootFromLeafHashes(std::span(leaves).first(n))), kRootHex[n - 1]) << n;
    EXPECT_EQ(ToHex(tree.Root()), kRootHex[n - 1]) << n;
    EXPECT_EQ(tree.size(), n);
  }
  // The 8-leaf root of DESIGN.md, and those of sizes 2 and 4.
  EXPECT_EQ(ToHex(tree.Root()), "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  EXPECT_EQ(ToHex(RootAt(2, tree).value()),
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
  EXPECT_EQ(ToHex(RootAt(4, tree).value()),
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
}

struct InclusionVector {
  uint64_t index;
  uint64_t size;
  std::vector<std::string> proof;
};

TEST(MerkleTest, ReferenceInclusionProofs) {
  // transparency-dev/merkle proof/verify_test.go (leaf numbers there are 1-based).
  const InclusionVector vectors[] = {
      {0, 1, {}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  const std::vector<Hash> leaves = ReferenceLeafHashes();
  const MemoryTree tree = TreeOf(leaves);
  for (const InclusionVector& v : vectors) {
    SCOPED_TRACE("index " + std::to_string(v.index) + " size " + std::to_string(v.size));
    Result<std::vector<Hash>> proof = InclusionProof(v.index, v.size, tree);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(Hexes(*proof), v.proof);
    const Hash root = H(kRootHex[v.size - 1]);
    EXPECT_TRUE(VerifyInclusion(v.index, v.size, leaves[v.index], *proof, root));

    // The probes of transparency-dev/merkle's corruptInclusionProof.
    EXPECT_FALSE(VerifyInclusion(v.index - 1, v.size, leaves[v.index], *proof, root));
    EXPECT_FALSE(VerifyInclusion(v.index + 1, v.size, leaves[v.index], *proof, root));
    EXPECT_FALSE(VerifyInclusion(v.index ^ 2, v.size, leaves[v.index], *proof, root));
    EXPECT_FALSE(VerifyInclusion(v.index, v.size * 2, leaves[v.index], *proof, root));
    EXPECT_FALSE(VerifyInclusion(v.index, v.size / 2, leaves[v.index], *proof, root));
    EXPECT_FALSE(
        VerifyInclusion(v.index, v.size, Sha256(std::string_view("WrongLeaf")), *proof, root));
    EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaves[v.index], *proof, EmptyRoot()));
    std::vector<Hash> trailing = *proof;
    trailing.push_back(root);
    EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaves[v.index], trailing, root));
    std::vector<Hash> preceding = *proof;
    preceding.insert(preceding.begin(), root);
    EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaves[v.index], preceding, root));
    if (!proof->empty()) {
      std::vector<Hash> removed(proof->begin(), proof->end() - 1);
      EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaves[v.index], removed, root));
    }
  }
}

struct ConsistencyVector {
  uint64_t old_size;
  uint64_t new_size;
  std::vector<std::string> proof;
};

TEST(MerkleTest, ReferenceConsistencyProofs) {
  const ConsistencyVector vectors[] = {
      {1, 1, {}},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {6,
       7,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
  };
  const MemoryTree tree = TreeOf(ReferenceLeafHashes());
  for (const ConsistencyVector& v : vectors) {
    SCOPED_TRACE(std::to_string(v.old_size) + " -> " + std::to_string(v.new_size));
    Result<std::vector<Hash>> proof = ConsistencyProof(v.old_size, v.new_size, tree);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(Hexes(*proof), v.proof);
    const Hash old_root = H(kRootHex[v.old_size - 1]);
    const Hash new_root = H(kRootHex[v.new_size - 1]);
    EXPECT_TRUE(VerifyConsistency(v.old_size, v.new_size, *proof, old_root, new_root));
    if (proof->empty()) continue;
    EXPECT_FALSE(VerifyConsistency(v.old_size - 1, v.new_size, *proof, old_root, new_root));
    EXPECT_FALSE(VerifyConsistency(v.old_size + 1, v.new_size, *proof, old_root, new_root));
    EXPECT_FALSE(VerifyConsistency(v.old_size ^ 2, v.new_size, *proof, old_root, new_root));
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size * 2, *proof, old_root, new_root));
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size / 2, *proof, old_root, new_root));
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, *proof, new_root, old_root));
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, {}, old_root, new_root));
    std::vector<Hash> trailing = *proof;
    trailing.push_back(new_root);
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, trailing, old_root, new_root));
    std::vector<Hash> preceding = *proof;
    preceding.insert(preceding.begin(), (*proof)[0]);
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, preceding, old_root, new_root));
    std::vector<Hash> truncated(proof->begin(), proof->end() - 1);
    EXPECT_FALSE(VerifyConsistency(v.old_size, v.new_size, truncated, old_root, new_root));
  }
}

TEST(MerkleTest, EveryInclusionProofUpTo64Leaves) {
  const std::vector<Hash> leaves = GeneratedLeafHashes(65);
  MemoryTree tree;
  for (uint64_t size = 1; size <= 64; ++size) {
    tree.Append(leaves[size - 1]);
    const Hash root = RootFromLeafHashes(std::span(leaves).first(size));
    const Hash other_root = RootFromLeafHashes(std::span(leaves).first(size + 1));
    for (uint64_t index = 0; index < size; ++index) {
      SCOPED_TRACE("index " + std::to_string(index) + " size " + std::to_string(size));
      Result<std::vector<Hash>> proof = InclusionProof(index, size, tree);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      ASSERT_TRUE(VerifyInclusion(index, size, leaves[index], *proof, root));
      // Every flipped hash is rejected.
      for (size_t i = 0; i < proof->size(); ++i) {
        std::vector<Hash> bad = *proof;
        bad[i] = Flipped(bad[i]);
        EXPECT_FALSE(VerifyInclusion(index, size, leaves[index], bad, root)) << "hash " << i;
      }
      // Wrong index: every other leaf position of the same tree.
      for (uint64_t other = 0; other < size + 2; ++other) {
        if (other == index) continue;
        EXPECT_FALSE(VerifyInclusion(other, size, leaves[index], *proof, root)) << other;
      }
      // Wrong size: the proof is not one of the next tree.
      EXPECT_FALSE(VerifyInclusion(index, size + 1, leaves[index], *proof, other_root));
      // Wrong leaf.
      EXPECT_FALSE(VerifyInclusion(index, size, Flipped(leaves[index]), *proof, root));
    }
  }
}

TEST(MerkleTest, EveryConsistencyProofUpTo64Leaves) {
  const std::vector<Hash> leaves = GeneratedLeafHashes(64);
  const MemoryTree tree = TreeOf(leaves);
  std::vector<Hash> roots = {EmptyRoot()};
  for (uint64_t n = 1; n <= 64; ++n) roots.push_back(RootAt(n, tree).value());
  for (uint64_t m = 1; m <= 64; ++m) {
    for (uint64_t n = m; n <= 64; ++n) {
      SCOPED_TRACE(std::to_string(m) + " -> " + std::to_string(n));
      Result<std::vector<Hash>> proof = ConsistencyProof(m, n, tree);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      ASSERT_TRUE(VerifyConsistency(m, n, *proof, roots[m], roots[n]));
      if (m == n) {
        EXPECT_TRUE(proof->empty());
        EXPECT_FALSE(VerifyConsistency(m, n, *proof, roots[m], Flipped(roots[n])));
        continue;
      }
      for (size_t i = 0; i < proof->size(); ++i) {
        std::vector<Hash> bad = *proof;
        bad[i] = Flipped(bad[i], 31, 0x10);
        EXPECT_FALSE(VerifyConsistency(m, n, bad, roots[m], roots[n])) << "hash " << i;
      }
      EXPECT_FALSE(VerifyConsistency(m, n, *proof, Flipped(roots[m]), roots[n]));
      EXPECT_FALSE(VerifyConsistency(m, n, *proof, roots[m], Flipped(roots[n])));
      EXPECT_FALSE(VerifyConsistency(m, n, *proof, roots[n], roots[m]));
      if (m > 1) {
        EXPECT_FALSE(VerifyConsistency(m - 1, n, *proof, roots[m - 1], roots[n]));
      }
      if (m + 1 < n) {
        EXPECT_FALSE(VerifyConsistency(m + 1, n, *proof, roots[m + 1], roots[n]));
      }
    }
  }
}

TEST(MerkleTest, ConsistencyFromEmptyAndEqualSizes) {
  const MemoryTree tree = TreeOf(GeneratedLeafHashes(5));
  Result<std::vector<Hash>> from_empty = ConsistencyProof(0, 5, tree);
  ASSERT_TRUE(from_empty.ok());
  EXPECT_TRUE(from_empty->empty());
  EXPECT_TRUE(VerifyConsistency(0, 5, {}, EmptyRoot(), tree.Root()));
  // Size 0 must carry the empty tree's root, and nothing goes back in time.
  EXPECT_FALSE(VerifyConsistency(0, 5, {}, tree.Root(), tree.Root()));
  EXPECT_FALSE(VerifyConsistency(0, 5, std::vector<Hash>{EmptyRoot()}, EmptyRoot(), tree.Root()));
  EXPECT_FALSE(VerifyConsistency(5, 4, {}, tree.Root(), tree.Root()));
  EXPECT_TRUE(VerifyConsistency(0, 0, {}, EmptyRoot(), EmptyRoot()));
  EXPECT_FALSE(VerifyConsistency(5, 5, std::vector<Hash>{EmptyRoot()}, tree.Root(), tree.Root()));
}

TEST(MerkleTest, RootAtEqualsReferenceForSizes0To130) {
  const std::vector<Hash> leaves = GeneratedLeafHashes(130);
  const MemoryTree tree = TreeOf(leaves);
  for (uint64_t size = 0; size <= 130; ++size) {
    Result<Hash> root = RootAt(size, tree);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(*root, RootFromLeafHashes(std::span(leaves).first(size))) << size;
  }
}

TEST(MerkleTest, NodesCompletedByAppendReproducesMemoryTree) {
  const std::vector<Hash> leaves = GeneratedLeafHashes(130);
  MapStore store;
  MemoryTree tree;
  size_t written = 0;
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    Result<std::vector<SubtreeNode>> nodes = NodesCompletedByAppend(i, leaves[i], store);
    ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
    ASSERT_FALSE(nodes->empty());
    EXPECT_EQ((*nodes)[0].level, 0);
    EXPECT_EQ((*nodes)[0].index, i);
    // Leaf i completes one node per trailing one bit of i, plus the leaf itself.
    EXPECT_EQ(nodes->size(), static_cast<size_t>(std::countr_one(i)) + 1) << i;
    for (const SubtreeNode& node : *nodes) store.Put(node);
    written += nodes->size();
    tree.Append(leaves[i]);
    EXPECT_EQ(RootAt(i + 1, store).value(), tree.Root()) << i;
  }
  // Same nodes, same hashes: a complete tree of n leaves has n + (n - popcount(n)) nodes.
  EXPECT_EQ(store.node_count(), written);
  EXPECT_EQ(written, 2 * leaves.size() - static_cast<size_t>(std::popcount(leaves.size())));
  for (int level = 0; level < 8; ++level) {
    for (uint64_t index = 0; (index + 1) << level <= leaves.size(); ++index) {
      Result<Hash> a = store.Get(level, index);
      Result<Hash> b = tree.Get(level, index);
      ASSERT_TRUE(a.ok() && b.ok()) << level << "," << index;
      EXPECT_EQ(*a, *b);
    }
  }
  // Incomplete subtrees do not exist.
  EXPECT_FALSE(tree.Get(1, 65).ok());
  EXPECT_FALSE(tree.Get(0, 130).ok());
  EXPECT_FALSE(tree.Get(-1, 0).ok());
}

TEST(MerkleTest, NodesCompletedByAppendReportsAMissingSibling) {
  MapStore empty;
  Result<std::vector<SubtreeNode>> nodes = NodesCompletedByAppend(3, EmptyRoot(), empty);
  ASSERT_FALSE(nodes.ok());
  EXPECT_EQ(nodes.status().code(), StatusCode::kNotFound);
}

TEST(MerkleTest, ProofArgumentsOutsideTheTreeAreBadInput) {
  const MemoryTree tree = TreeOf(GeneratedLeafHashes(5));
  EXPECT_EQ(InclusionProof(5, 5, tree).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(0, 0, tree).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(0, 6, tree).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(3, 2, tree).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(3, 6, tree).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RootAt(6, tree).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(InclusionProof(4, 5, tree).ok());
  EXPECT_TRUE(ConsistencyProof(5, 5, tree).ok());
  EXPECT_FALSE(VerifyInclusion(5, 5, EmptyRoot(), {}, tree.Root()));
}

}  // namespace
}  // namespace esms::ledger
