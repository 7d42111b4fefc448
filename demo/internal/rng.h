// Rng: the demo's deterministic randomness. std::mt19937_64 is fully specified by the
// standard; the distributions are ours (the standard library's are
// implementation-defined), so the same seed gives the same programme with any compiler.
// The order of the draws is part of the output: drawing one more number anywhere
// changes every event after it.
//
// Thread-safety: one thread at a time.
#ifndef ESMS_DEMO_INTERNAL_RNG_H_
#define ESMS_DEMO_INTERNAL_RNG_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace esms::demo::internal {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  // Uniform in [lo, hi] (both included).
  int64_t Between(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(engine_() % static_cast<uint64_t>(hi - lo + 1));
  }
  // Between for the small ranges the plan draws (indexes, sizes, per mille).
  int Int(int64_t lo, int64_t hi) { return static_cast<int>(Between(lo, hi)); }
  // True with probability per_mille / 1000.
  bool Chance(int per_mille) { return Between(0, 999) < per_mille; }
  // An index into a container of `size` items.
  size_t Index(size_t size) {
    return static_cast<size_t>(Between(0, static_cast<int64_t>(size) - 1));
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Index(items.size())];
  }
  template <typename T>
  void Shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[Index(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace esms::demo::internal

#endif  // ESMS_DEMO_INTERNAL_RNG_H_
