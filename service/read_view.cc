#include "service/read_view.h"

#include <utility>

#include "projections/projector.h"

namespace esms::service {

ReadView::ReadView(ledger::Ledger& ledger, std::unique_ptr<projections::Projector> projector)
    : ledger_(ledger), projector_(std::move(projector)) {}

ReadView::~ReadView() = default;

Result<std::unique_ptr<ReadView>> ReadView::Open(ledger::Ledger& ledger) {
  ASSIGN_OR_RETURN(std::unique_ptr<projections::Projector> projector,
                   projections::Projector::Open(ledger));
  return std::unique_ptr<ReadView>(new ReadView(ledger, std::move(projector)));
}

Result<ReadView::Lease> ReadView::Current() {
  std::unique_lock<std::mutex> lock(mu_);
  // The head cannot move while the lock is held: fold up to it.
  if (projector_->state().next_seq() < ledger_.size()) RETURN_IF_ERROR(projector_->CatchUp());
  const uint64_t size = ledger_.size();
  return Lease(std::move(lock), &ledger_, projector_.get(), size);
}

std::optional<ReadView::Lease> ReadView::TryCurrent(uint64_t max_catch_up) {
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;
  const uint64_t size = ledger_.size();
  const uint64_t folded = projector_->state().next_seq();
  if (size - folded > max_catch_up) return std::nullopt;
  if (folded < size && !projector_->CatchUp().ok()) return std::nullopt;
  return Lease(std::move(lock), &ledger_, projector_.get(), size);
}

}  // namespace esms::service
