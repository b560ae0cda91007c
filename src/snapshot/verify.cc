#include "snapshot/verify.h"

#include <atomic>
#include <mutex>
#include <unordered_set>

#include "snapshot/tree.h"
#include "snapshot/worker_queue.h"

namespace ferry::snapshot {
namespace {

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

class Verifier {
 public:
  Verifier(const object::ObjectManager& objects, const VerifyOptions& options) : objects_(objects), options_(options) {}

  Result<VerifyStats> Run(const std::vector<VerifyRoot>& roots);

 private:
  Result<bool> Visit(const std::string& path, const DirEntry& e);
  Status CheckFile(const DirEntry& e);
  void Error(const std::string& path, const Status& s);
  bool TooManyErrors() const { return options_.max_errors > 0 && errors_.load() >= options_.max_errors; }

  const object::ObjectManager& objects_;
  const VerifyOptions options_;
  std::unordered_set<std::string> seen_;  // walker thread only
  std::unordered_set<std::string> blobs_;  // read-only once the walk starts
  std::atomic<int64_t> processed_{0}, files_read_{0}, bytes_read_{0}, errors_{0};
  std::mutex error_mu_;
  std::unique_ptr<WorkerQueue> pool_;  // last: its jobs use the members above
};

void Verifier::Error(const std::string& path, const Status& s) {
  std::lock_guard<std::mutex> lock(error_mu_);
  errors_++;
  if (options_.on_error) options_.on_error(path, s);
}

Status Verifier::CheckFile(const DirEntry& e) {
  auto oid = object::ObjectId::Parse(e.object_id);
  if (!oid.ok()) return oid.status();
  auto contents = objects_.VerifyObject(*oid);
  if (!contents.ok()) return contents.status().WithContext("verifying object " + e.object_id);
  if (options_.storage) {
    for (const auto& cid : *contents) {
      auto info = objects_.content_manager()->GetContentInfo(cid);
      if (!info.ok()) return info.status().WithContext("verifying object " + e.object_id);
      if (!blobs_.contains(info->pack_blob_id)) {
        return Status::NotFound("object " + e.object_id + " is backed by missing blob " + info->pack_blob_id);
      }
    }
  }
  if (!ChosenForReading(e.object_id, options_.files_percent, options_.seed)) return Status::OK();
  auto reader = objects_.Open(*oid);
  if (!reader.ok()) return reader.status().WithContext("error reading object " + e.object_id);
  if (e.is_file() && reader->Length() != e.size) {
    return Status::Corruption("object " + e.object_id + " has " + std::to_string(reader->Length()) +
                              " bytes but its entry records " + std::to_string(e.size));
  }
  thread_local Bytes buffer(size_t{1} << 20);
  int64_t total = 0;
  for (;;) {
    auto got = reader->Read(MutableByteView(buffer.data(), buffer.size()));
    if (!got.ok()) return got.status().WithContext("error reading object " + e.object_id);
    if (*got == 0) break;
    total += int64_t(*got);
  }
  if (total != reader->Length()) {
    return Status::Corruption("object " + e.object_id + " ended after " + std::to_string(total) + " of " +
                              std::to_string(reader->Length()) + " bytes");
  }
  files_read_++;
  bytes_read_ += total;
  return Status::OK();
}

Result<bool> Verifier::Visit(const std::string& path, const DirEntry& e) {
  if (TooManyErrors()) return Status::Cancelled("too many errors");
  if (!e.is_dir() && !e.is_file() && !e.is_symlink()) return false;  // a failed entry kopia recorded
  if (e.object_id.empty()) {
    Error(path, Status::Corruption("entry '" + e.name + "' has no object ID"));
    return false;
  }
  if (!seen_.insert(e.object_id).second) return false;
  processed_++;
  if (e.is_dir()) return true;
  pool_->Submit([this, path, e] {
    if (TooManyErrors()) return;
    Status s = CheckFile(e);
    if (!s.ok()) Error(path, s);
  });
  return false;
}

Result<VerifyStats> Verifier::Run(const std::vector<VerifyRoot>& roots) {
  if (options_.storage) {
    for (const char* prefix : {"p", "q"}) {
      FERRY_ASSIGN_OR_RETURN(auto listed, options_.storage->ListAllBlobs(prefix));
      for (auto& b : listed) blobs_.insert(std::move(b.id));
    }
  }
  size_t threads = options_.parallel > 0 ? size_t(options_.parallel) : WorkerQueue::DefaultParallelism();
  pool_ = std::make_unique<WorkerQueue>(threads, 4 * threads + 16);
  WalkCallbacks cb;
  cb.visit = [this](const std::string& path, const DirEntry& e) { return Visit(path, e); };
  cb.on_error = [this](const std::string& path, const DirEntry&, const Status& s) {
    Error(path, s);
    return Status::OK();
  };
  for (const auto& root : roots) {
    Status s = WalkTree(objects_, root.entry, root.path, cb);
    if (!s.ok() && s.code() != StatusCode::kCancelled) Error(root.path, s);
    if (TooManyErrors()) break;
  }
  pool_->Wait();
  VerifyStats stats;
  stats.processed = processed_;
  stats.files_read = files_read_;
  stats.bytes_read = bytes_read_;
  stats.errors = errors_;
  return stats;
}

}  // namespace

bool ChosenForReading(const std::string& object_id, double percent, uint64_t seed) {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  uint64_t h = SplitMix64(seed ^ Fnv1a(object_id));
  return double(h % 1000000) < percent * 10000;
}

Result<VerifyStats> Verify(const object::ObjectManager& objects, const std::vector<VerifyRoot>& roots,
                           const VerifyOptions& options) {
  Verifier v(objects, options);
  return v.Run(roots);
}

}  // namespace ferry::snapshot
