#include "base/bounded_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

namespace esms::base {
namespace {

using namespace std::chrono_literals;

TEST(BoundedQueueTest, FifoThenNulloptOnceFinished) {
  BoundedQueue<int> queue(4);
  EXPECT_TRUE(queue.Push(1));
  EXPECT_TRUE(queue.Push(2));
  EXPECT_TRUE(queue.Push(3));
  queue.Finish();
  EXPECT_EQ(queue.Pop(), 1);
  EXPECT_EQ(queue.Pop(), 2);
  EXPECT_EQ(queue.Pop(), 3);
  EXPECT_EQ(queue.Pop(), std::nullopt);
  EXPECT_EQ(queue.Pop(), std::nullopt);  // stays ended
}

TEST(BoundedQueueTest, TryPopDoesNotWait) {
  BoundedQueue<int> queue(2);
  EXPECT_EQ(queue.TryPop(), std::nullopt);
  ASSERT_TRUE(queue.Push(8));
  EXPECT_EQ(queue.TryPop(), 8);
  EXPECT_EQ(queue.TryPop(), std::nullopt);
  ASSERT_TRUE(queue.Push(9));
  queue.Cancel();
  EXPECT_EQ(queue.TryPop(), std::nullopt);
}

TEST(BoundedQueueTest, MoveOnlyItems) {
  BoundedQueue<std::unique_ptr<int>> queue(1);
  EXPECT_TRUE(queue.Push(std::make_unique<int>(7)));
  std::optional<std::unique_ptr<int>> item = queue.Pop();
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(**item, 7);
}

TEST(BoundedQueueTest, ZeroCapacityHoldsOne) {
  BoundedQueue<int> queue(0);
  EXPECT_TRUE(queue.Push(5));
  EXPECT_EQ(queue.Pop(), 5);
}

TEST(BoundedQueueTest, PushBlocksWhileFull) {
  BoundedQueue<int> queue(2);
  ASSERT_TRUE(queue.Push(1));
  ASSERT_TRUE(queue.Push(2));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_TRUE(queue.Push(3));
    pushed = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(pushed) << "a third item went into a queue of capacity 2";
  EXPECT_EQ(queue.Pop(), 1);
  producer.join();
  EXPECT_TRUE(pushed);
  EXPECT_EQ(queue.Pop(), 2);
  EXPECT_EQ(queue.Pop(), 3);
}

TEST(BoundedQueueTest, PopBlocksUntilAnItemOrFinish) {
  BoundedQueue<int> queue(2);
  std::optional<int> first;
  std::optional<int> second{-1};
  std::thread consumer([&] {
    first = queue.Pop();
    second = queue.Pop();
  });
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(queue.Push(42));
  std::this_thread::sleep_for(20ms);
  queue.Finish();
  consumer.join();
  EXPECT_EQ(first, 42);
  EXPECT_EQ(second, std::nullopt);
}

TEST(BoundedQueueTest, CancelWakesABlockedProducerAndDropsTheItems) {
  BoundedQueue<int> queue(1);
  ASSERT_TRUE(queue.Push(1));
  std::atomic<int> result{-1};
  std::thread producer([&] { result = queue.Push(2) ? 1 : 0; });
  std::this_thread::sleep_for(20ms);
  queue.Cancel();
  producer.join();
  EXPECT_EQ(result, 0) << "Push must return false once cancelled";
  EXPECT_TRUE(queue.cancelled());
  EXPECT_EQ(queue.Pop(), std::nullopt) << "a cancelled queue drops what it held";
  EXPECT_FALSE(queue.Push(3));
}

TEST(BoundedQueueTest, CancelWakesABlockedConsumer) {
  BoundedQueue<int> queue(1);
  std::optional<int> got{-1};
  std::thread consumer([&] { got = queue.Pop(); });
  std::this_thread::sleep_for(20ms);
  queue.Cancel();
  consumer.join();
  EXPECT_EQ(got, std::nullopt);
}

// Several producers and consumers at once: every item comes out exactly once, each
// producer's items in the order it pushed them, and the queue never holds more than
// its capacity (checked by a counter of items in the queue).
TEST(BoundedQueueTest, ManyProducersManyConsumers) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 3;
  constexpr int kPerProducer = 20000;
  constexpr size_t kCapacity = 5;
  BoundedQueue<std::pair<int, int>> queue(kCapacity);
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};

  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        // Counted before the push: `inside` may run ahead by one per producer.
        const int now = ++inside;
        int seen = max_inside.load();
        while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
        }
        ASSERT_TRUE(queue.Push({p, i}));
      }
    });
  }
  std::vector<std::vector<std::vector<int>>> seen(kConsumers,
                                                  std::vector<std::vector<int>>(kProducers));
  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&, c] {
      while (std::optional<std::pair<int, int>> item = queue.Pop()) {
        --inside;
        seen[c][item->first].push_back(item->second);
      }
    });
  }
  for (std::thread& t : producers) t.join();
  queue.Finish();
  for (std::thread& t : consumers) t.join();

  for (int p = 0; p < kProducers; ++p) {
    std::vector<int> all;
    for (int c = 0; c < kConsumers; ++c) {
      const std::vector<int>& got = seen[c][p];
      EXPECT_TRUE(std::is_sorted(got.begin(), got.end()))
          << "consumer " << c << " saw producer " << p << "'s items out of order";
      all.insert(all.end(), got.begin(), got.end());
    }
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), static_cast<size_t>(kPerProducer)) << "producer " << p;
    for (int i = 0; i < kPerProducer; ++i) ASSERT_EQ(all[i], i) << "producer " << p;
  }
  EXPECT_EQ(inside, 0);
  EXPECT_LE(max_inside, static_cast<int>(kCapacity) + kProducers + kConsumers);
}

// A consumer that stops halfway (as the projector's fold does on an error): the
// producer sees Push fail and stops too, nothing hangs.
TEST(BoundedQueueTest, ConsumerStopsHalfway) {
  BoundedQueue<int> queue(3);
  int pushed = 0;
  std::thread producer([&] {
    for (int i = 0; i < 1000000; ++i) {
      if (!queue.Push(i)) return;
      ++pushed;
    }
  });
  for (int i = 0; i < 100; ++i) ASSERT_EQ(queue.Pop(), i);
  queue.Cancel();
  producer.join();
  EXPECT_GE(pushed, 100);
  EXPECT_LT(pushed, 1000000);
}

}  // namespace
}  // namespace esms::base
