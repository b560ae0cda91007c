#include "object/testing/fake_content_manager.h"

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

namespace ferry::content {

FakeContentManager::FakeContentManager(std::string_view hash_algorithm,
                                       std::string_view hash_key) {
  auto hash = crypto::NewHashFunction(hash_algorithm, AsBytes(hash_key));
  if (!hash.ok()) {
    std::fprintf(stderr, "FakeContentManager: %s\n", hash.status().ToString().c_str());
    std::abort();
  }
  hash_ = std::move(hash).value();
  format_.hash = hash_.get();
}

ContentId FakeContentManager::ComputeContentId(ByteView data, char prefix) const {
  uint8_t digest[crypto::kMaxHashSize];
  hash_->Hash(data, digest);
  auto id = ContentId::FromHash(prefix, ByteView(digest, hash_->output_size()));
  return id.ok() ? *id : ContentId();
}

ferry::Result<ContentId> FakeContentManager::WriteContent(ByteView data, char prefix,
                                                          compression::HeaderId compression) {
  if (prefix != 0 && (prefix < 'g' || prefix > 'z')) {
    return Status::InvalidArgument(std::string("invalid content prefix '") + prefix + "'");
  }
  ContentId id = ComputeContentId(data, prefix);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_writes_ > 0) {
      --fail_writes_;
      return Status::IOError("injected write failure");
    }
    auto it = contents_.find(id);
    if (it != contents_.end() && !it->second.deleted) {
      ++stats_.deduplicated_contents;
      stats_.deduplicated_bytes += data.size();
      return id;
    }
  }
  // Compress outside the lock, like the real manager.
  Stored s;
  s.original_length = static_cast<uint32_t>(data.size());
  s.requested_compression = compression;
  if (compression != compression::kNoCompression) {
    Bytes compressed;
    FERRY_RETURN_IF_ERROR(compression::Compress(compression, data, &compressed));
    if (compressed.size() < data.size()) {
      s.bytes = std::move(compressed);
      s.compression_header = compression;
    }
  }
  if (s.compression_header == 0) s.bytes.assign(data.begin(), data.end());

  std::lock_guard<std::mutex> lock(mu_);
  s.timestamp = ++clock_;
  ++stats_.written_contents;
  stats_.written_bytes += data.size();
  stats_.written_packed_bytes += s.bytes.size();
  contents_[id] = std::move(s);
  return id;
}

Status FakeContentManager::GetContent(const ContentId& id, Bytes* out) {
  Bytes stored;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = contents_.find(id);
    if (it == contents_.end() || it->second.deleted) {
      return Status::NotFound("content " + id.ToString() + " not found");
    }
    if (it->second.compression_header == 0) {
      out->assign(it->second.bytes.begin(), it->second.bytes.end());
      return Status::OK();
    }
    stored = it->second.bytes;
  }
  Status s = compression::Decompress(stored, out);
  return s.WithContext("content " + id.ToString());
}

ContentInfo FakeContentManager::InfoLocked(const ContentId& id, const Stored& s) const {
  ContentInfo info;
  info.id = id;
  info.pack_blob_id = (id.has_prefix() ? "q" : "p") + std::string("fake");
  info.packed_length = static_cast<uint32_t>(s.bytes.size());
  info.original_length = s.original_length;
  info.timestamp = s.timestamp;
  info.deleted = s.deleted;
  info.compression_header = s.compression_header;
  info.format_version = 2;
  return info;
}

ferry::Result<ContentInfo> FakeContentManager::GetContentInfo(const ContentId& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = contents_.find(id);
  if (it == contents_.end()) return Status::NotFound("content " + id.ToString() + " not found");
  return InfoLocked(id, it->second);
}

Status FakeContentManager::DeleteContent(const ContentId& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = contents_.find(id);
  if (it == contents_.end()) return Status::NotFound("content " + id.ToString() + " not found");
  it->second.deleted = true;
  it->second.pending = true;
  it->second.timestamp = ++clock_;
  return Status::OK();
}

Status FakeContentManager::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  bool any = false;
  for (auto& [id, s] : contents_) {
    any = any || s.pending;
    s.pending = false;
  }
  if (any) ++stats_.index_blobs_written;
  ++flushes_;
  return Status::OK();
}

Status FakeContentManager::IterateContents(
    bool include_deleted, const std::function<Status(const ContentInfo&)>& visit) {
  // Snapshot first so that `visit` may call back into the manager.
  std::vector<ContentInfo> infos;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, s] : contents_) {
      if (s.deleted && !include_deleted) continue;
      infos.push_back(InfoLocked(id, s));
    }
  }
  for (const ContentInfo& info : infos) FERRY_RETURN_IF_ERROR(visit(info));
  return Status::OK();
}

ContentStats FakeContentManager::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

size_t FakeContentManager::content_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return contents_.size();
}

size_t FakeContentManager::live_content_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [id, s] : contents_) n += s.deleted ? 0 : 1;
  return n;
}

int FakeContentManager::flush_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return flushes_;
}

void FakeContentManager::PutRaw(const ContentId& id, Bytes plaintext) {
  std::lock_guard<std::mutex> lock(mu_);
  Stored s;
  s.original_length = static_cast<uint32_t>(plaintext.size());
  s.bytes = std::move(plaintext);
  s.timestamp = ++clock_;
  contents_[id] = std::move(s);
}

ferry::Result<Bytes> FakeContentManager::StoredBytes(const ContentId& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = contents_.find(id);
  if (it == contents_.end()) return Status::NotFound("content " + id.ToString() + " not found");
  return it->second.bytes;
}

ferry::Result<compression::HeaderId> FakeContentManager::RequestedCompression(
    const ContentId& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = contents_.find(id);
  if (it == contents_.end()) return Status::NotFound("content " + id.ToString() + " not found");
  return it->second.requested_compression;
}

void FakeContentManager::FailNextWrites(int count) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_writes_ = count;
}

}  // namespace ferry::content
