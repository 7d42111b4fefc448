// BoundedQueue<T>: hands items from producer threads to consumer threads in FIFO
// order, holding at most `capacity` of them (a producer blocks while it is full), so
// that a pipeline's memory stays bounded whatever the size of its input.
//
// Ends two ways. The producers Finish(): consumers take what is left, then Pop()
// returns nullopt. A consumer Cancel()s (its work failed): what is queued is dropped,
// Push() returns false from then on (the producer should stop) and Pop() returns
// nullopt.
//
// Thread-safety: every method may be called from any thread at once. Move-only items
// are fine; an item is moved twice (in and out), never copied.
#ifndef ESMS_BASE_BOUNDED_QUEUE_H_
#define ESMS_BASE_BOUNDED_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace esms::base {

template <typename T>
class BoundedQueue {
 public:
  // Precondition: capacity >= 1.
  explicit BoundedQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Blocks while the queue is full. False, with `item` dropped, once cancelled.
  // Pushing after Finish() is a bug (the item would never be taken).
  bool Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [this] { return items_.size() < capacity_ || cancelled_; });
    if (cancelled_) return false;
    items_.push_back(std::move(item));
    lock.unlock();
    not_empty_.notify_one();
    return true;
  }

  // Blocks until an item is there; nullopt once finished and drained, or cancelled.
  std::optional<T> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [this] { return !items_.empty() || finished_ || cancelled_; });
    return TakeFront(lock);
  }

  // The oldest item if there is one, without waiting; nullopt otherwise (or cancelled).
  std::optional<T> TryPop() {
    std::unique_lock<std::mutex> lock(mu_);
    return TakeFront(lock);
  }

  // The producers are done: consumers drain the queue, then Pop() returns nullopt.
  void Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = true;
    }
    not_empty_.notify_all();
  }

  // The consumers stop: what is queued is dropped, Push() returns false, Pop() nullopt.
  void Cancel() {
    std::deque<T> dropped;  // destroyed outside the lock
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancelled_ = true;
      dropped.swap(items_);
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  bool cancelled() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled_;
  }

 private:
  std::optional<T> TakeFront(std::unique_lock<std::mutex>& lock) {
    if (items_.empty() || cancelled_) return std::nullopt;
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
  bool finished_ = false;
  bool cancelled_ = false;
};

}  // namespace esms::base

#endif  // ESMS_BASE_BOUNDED_QUEUE_H_
