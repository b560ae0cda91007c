#include "blob/fault_injecting_storage.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

namespace ferry::blob {

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kPut:
      return "PutBlob";
    case Op::kGet:
      return "GetBlob";
    case Op::kGetMetadata:
      return "GetMetadata";
    case Op::kDelete:
      return "DeleteBlob";
    case Op::kList:
      return "ListBlobs";
  }
  return "?";
}

int64_t FaultCounters::TotalInjected() const {
  int64_t total = 0;
  for (int64_t n : injected) total += n;
  return total;
}

FaultInjectingStorage::FaultInjectingStorage(std::shared_ptr<Storage> inner, uint64_t seed)
    : inner_(std::move(inner)), rng_(seed) {
  probability_code_.fill(StatusCode::kIOError);
}

void FaultInjectingStorage::SetEnabled(bool enabled) {
  std::lock_guard lock(mu_);
  enabled_ = enabled;
}

bool FaultInjectingStorage::enabled() const {
  std::lock_guard lock(mu_);
  return enabled_;
}

void FaultInjectingStorage::AddFault(Fault fault) {
  std::lock_guard lock(mu_);
  if (fault.count != 0) scripted_.push_back(std::move(fault));
}

void FaultInjectingStorage::FailNext(Op op, int n, StatusCode code) {
  AddFault(Fault{op, "", n, code, -1});
}

void FaultInjectingStorage::FailMatching(Op op, std::string id_prefix, int n, StatusCode code) {
  AddFault(Fault{op, std::move(id_prefix), n, code, -1});
}

void FaultInjectingStorage::TearNextPuts(int n, double fraction) {
  AddFault(Fault{Op::kPut, "", n, StatusCode::kIOError, std::max(fraction, 0.0)});
}

void FaultInjectingStorage::SetFailureProbability(Op op, double probability, StatusCode code) {
  std::lock_guard lock(mu_);
  probability_[static_cast<size_t>(op)] = std::clamp(probability, 0.0, 1.0);
  probability_code_[static_cast<size_t>(op)] = code;
}

void FaultInjectingStorage::SetTornWriteProbability(double probability, double fraction) {
  std::lock_guard lock(mu_);
  torn_probability_ = std::clamp(probability, 0.0, 1.0);
  torn_probability_fraction_ = std::max(fraction, 0.0);
}

void FaultInjectingStorage::SetLatency(Op op, std::chrono::microseconds latency) {
  std::lock_guard lock(mu_);
  latency_[static_cast<size_t>(op)] = latency;
}

void FaultInjectingStorage::ClearFaults() {
  std::lock_guard lock(mu_);
  scripted_.clear();
  probability_.fill(0);
  torn_probability_ = 0;
  latency_.fill(std::chrono::microseconds(0));
}

FaultCounters FaultInjectingStorage::Counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void FaultInjectingStorage::ResetCounters() {
  std::lock_guard lock(mu_);
  counters_ = FaultCounters();
}

FaultInjectingStorage::Decision FaultInjectingStorage::Enter(Op op, std::string_view id) {
  const auto i = static_cast<size_t>(op);
  Decision d;
  std::chrono::microseconds latency{0};
  {
    std::lock_guard lock(mu_);
    counters_.calls[i]++;
    if (!enabled_) return d;
    latency = latency_[i];
    for (auto it = scripted_.begin(); it != scripted_.end(); ++it) {
      if (it->op != op || !id.starts_with(it->id_prefix)) continue;
      d.fail = true;
      d.code = it->code;
      d.torn_fraction = op == Op::kPut ? it->torn_fraction : -1;
      if (it->count > 0 && --it->count == 0) scripted_.erase(it);
      break;
    }
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    if (!d.fail && probability_[i] > 0 && coin(rng_) < probability_[i]) {
      d.fail = true;
      d.code = probability_code_[i];
    }
    if (!d.fail && op == Op::kPut && torn_probability_ > 0 && coin(rng_) < torn_probability_) {
      d.fail = true;
      d.torn_fraction = torn_probability_fraction_;
    }
    if (d.fail) {
      counters_.injected[i]++;
      if (d.torn_fraction >= 0) counters_.torn_writes++;
    }
  }
  if (latency.count() > 0) std::this_thread::sleep_for(latency);
  return d;
}

Status FaultInjectingStorage::Injected(Op op, std::string_view id, StatusCode code) {
  if (code == StatusCode::kOk) code = StatusCode::kIOError;  // a fault must be an error
  return Status(code, "injected fault in " + std::string(OpName(op)) + "(" + std::string(id) + ")");
}

Status FaultInjectingStorage::DoPutBlob(std::string_view id, ByteView data,
                                        const PutOptions& options) {
  Decision d = Enter(Op::kPut, id);
  if (!d.fail) return inner_->PutBlob(id, data, options);
  if (d.torn_fraction < 0) return Injected(Op::kPut, id, d.code);
  if (!data.empty()) {
    auto keep = static_cast<size_t>(std::floor(static_cast<double>(data.size()) * d.torn_fraction));
    keep = std::min(keep, data.size() - 1);
    // A torn write is one the store took: the caller's CRC of the whole body does not go with it.
    PutOptions torn = options;
    torn.body_crc32c.reset();
    Status s = inner_->PutBlob(id, data.first(keep), torn);
    if (!s.ok()) return s;
  }
  return Status::IOError("injected torn write of blob " + std::string(id));
}

Status FaultInjectingStorage::DoGetBlob(std::string_view id, int64_t offset, int64_t length,
                                        Bytes* out) {
  Decision d = Enter(Op::kGet, id);
  if (d.fail) return Injected(Op::kGet, id, d.code);
  return inner_->GetBlob(id, offset, length, out);
}

Result<BlobMetadata> FaultInjectingStorage::DoGetMetadata(std::string_view id) {
  Decision d = Enter(Op::kGetMetadata, id);
  if (d.fail) return Injected(Op::kGetMetadata, id, d.code);
  return inner_->GetMetadata(id);
}

Status FaultInjectingStorage::DoDeleteBlob(std::string_view id) {
  Decision d = Enter(Op::kDelete, id);
  if (d.fail) return Injected(Op::kDelete, id, d.code);
  return inner_->DeleteBlob(id);
}

Status FaultInjectingStorage::DoListBlobs(std::string_view prefix, const ListCallback& callback) {
  Decision d = Enter(Op::kList, prefix);
  if (d.fail) return Injected(Op::kList, prefix, d.code);
  return inner_->ListBlobs(prefix, callback);
}

}  // namespace ferry::blob
