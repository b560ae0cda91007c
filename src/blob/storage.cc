#include "blob/storage.h"

#include <cstring>
#include <mutex>
#include <utility>

namespace ferry::blob {

namespace {

bool IsPrintableAscii(char c) { return c >= 0x21 && c <= 0x7e; }

// IDs appear in error messages; keep hostile bytes (newlines, NUL) out of logs.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) out += IsPrintableAscii(c) ? c : '?';
  if (s.size() > 80) out += "...";
  return out;
}

}  // namespace

Status ValidateBlobId(std::string_view id) {
  if (id.empty()) return Status::InvalidArgument("empty blob ID");
  if (id.size() > kMaxBlobIdLength) {
    return Status::InvalidArgument("blob ID longer than " + std::to_string(kMaxBlobIdLength) +
                                   " characters: " + Printable(id));
  }
  for (char c : id) {
    if (!IsPrintableAscii(c) || c == '/' || c == '\\') {
      return Status::InvalidArgument("invalid character in blob ID \"" + Printable(id) + "\"");
    }
  }
  // A leading '.' could become a "." or ".." shard directory, and ".shards" style names are the
  // store's own files; ".." anywhere is a path trick no kopia blob ID contains.
  if (id.front() == '.' || id.find("..") != std::string_view::npos) {
    return Status::InvalidArgument("invalid blob ID \"" + Printable(id) + "\"");
  }
  return Status::OK();
}

Status ValidateBlobIdPrefix(std::string_view prefix) {
  if (prefix.size() > kMaxBlobIdLength) return Status::InvalidArgument("blob ID prefix too long");
  for (char c : prefix) {
    if (!IsPrintableAscii(c) || c == '/' || c == '\\') {
      return Status::InvalidArgument("invalid character in blob ID prefix \"" + Printable(prefix) +
                                     "\"");
    }
  }
  return Status::OK();
}

Status ValidateRange(int64_t offset, int64_t length) {
  if (offset < 0 || length < -1) {
    return Status::InvalidArgument("invalid blob range: offset " + std::to_string(offset) +
                                   ", length " + std::to_string(length));
  }
  return Status::OK();
}

Result<int64_t> ResolveRange(std::string_view id, int64_t blob_size, int64_t offset,
                             int64_t length) {
  if (offset > blob_size || (length >= 0 && length > blob_size - offset)) {
    return Status::InvalidArgument("range [" + std::to_string(offset) + ", +" +
                                   std::to_string(length) + ") is beyond the end of blob " +
                                   std::string(id) + " (" + std::to_string(blob_size) + " bytes)");
  }
  return length < 0 ? blob_size - offset : length;
}

Status BlobNotFound(std::string_view id) {
  return Status::NotFound("blob " + std::string(id) + " not found");
}

Status Storage::CheckOpen() const {
  if (closed_.load(std::memory_order_acquire)) {
    return Status::Internal("storage " + DisplayName() + " used after Close");
  }
  return Status::OK();
}

Status Storage::PutBlob(std::string_view id, ByteView data, const PutOptions& options) {
  FERRY_RETURN_IF_ERROR(CheckOpen());
  FERRY_RETURN_IF_ERROR(ValidateBlobId(id));
  return DoPutBlob(id, data, options);
}

Status Storage::GetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) {
  if (out == nullptr) return Status::InvalidArgument("GetBlob: null output buffer");
  // *out is handed to DoGetBlob as it is, not cleared: an implementation overwrites it in place,
  // so a buffer that is already large enough costs no zeroing of the bytes it is about to receive
  // (vector::resize zeroes what it adds; ~0.1 CPU-s/GB for S3 GETs, docs/s3.md).
  Status s = CheckOpen();
  if (s.ok()) s = ValidateBlobId(id);
  if (s.ok()) s = ValidateRange(offset, length);
  if (s.ok()) s = DoGetBlob(id, offset, length, out);
  if (!s.ok()) out->clear();
  return s;
}

Result<Bytes> Storage::GetBlob(std::string_view id) {
  Bytes out;
  FERRY_RETURN_IF_ERROR(GetBlob(id, 0, -1, &out));
  return out;
}

Result<BlobMetadata> Storage::GetMetadata(std::string_view id) {
  FERRY_RETURN_IF_ERROR(CheckOpen());
  FERRY_RETURN_IF_ERROR(ValidateBlobId(id));
  return DoGetMetadata(id);
}

Status Storage::DeleteBlob(std::string_view id) {
  FERRY_RETURN_IF_ERROR(CheckOpen());
  FERRY_RETURN_IF_ERROR(ValidateBlobId(id));
  return DoDeleteBlob(id);
}

Status Storage::ListBlobs(std::string_view prefix, const ListCallback& callback) {
  FERRY_RETURN_IF_ERROR(CheckOpen());
  FERRY_RETURN_IF_ERROR(ValidateBlobIdPrefix(prefix));
  if (!callback) return Status::InvalidArgument("ListBlobs: empty callback");
  return DoListBlobs(prefix, callback);
}

Result<std::vector<BlobMetadata>> Storage::ListAllBlobs(std::string_view prefix) {
  std::vector<BlobMetadata> all;
  FERRY_RETURN_IF_ERROR(ListBlobs(prefix, [&all](const BlobMetadata& m) {
    all.push_back(m);
    return Status::OK();
  }));
  return all;
}

namespace {

// The default BlobWriter: the whole blob in memory, one PutBlob at Commit.
class BufferingBlobWriter final : public BlobWriter {
 public:
  BufferingBlobWriter(Storage* storage, std::string id, PutOptions options)
      : storage_(storage), id_(std::move(id)), options_(std::move(options)) {}

  Status Write(int64_t offset, ByteView data) override {
    if (offset < 0) return Status::InvalidArgument("negative offset writing blob " + id_);
    std::lock_guard<std::mutex> lock(mu_);
    if (committed_) return Status::Internal("blob writer for " + id_ + " used after Commit");
    const size_t end = size_t(offset) + data.size();
    if (data_.size() < end) data_.resize(end);
    if (!data.empty()) std::memcpy(data_.data() + offset, data.data(), data.size());
    return Status::OK();
  }

  Status Commit() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (committed_) return Status::Internal("blob writer for " + id_ + " used after Commit");
    FERRY_RETURN_IF_ERROR(storage_->PutBlob(id_, data_, options_));
    committed_ = true;
    Bytes().swap(data_);
    return Status::OK();
  }

 private:
  Storage* storage_;
  std::string id_;
  PutOptions options_;
  std::mutex mu_;
  Bytes data_;
  bool committed_ = false;
};

}  // namespace

Result<std::unique_ptr<BlobWriter>> Storage::NewBlobWriter(std::string_view id, const PutOptions& options) {
  FERRY_RETURN_IF_ERROR(CheckOpen());
  FERRY_RETURN_IF_ERROR(ValidateBlobId(id));
  return DoNewBlobWriter(id, options);
}

Result<std::unique_ptr<BlobWriter>> Storage::DoNewBlobWriter(std::string_view id, const PutOptions& options) {
  return std::unique_ptr<BlobWriter>(std::make_unique<BufferingBlobWriter>(this, std::string(id), options));
}

Status Storage::Sync() {
  FERRY_RETURN_IF_ERROR(CheckOpen());
  return DoSync();
}

Result<TemporaryCleanup> Storage::DeleteStaleTemporaries(int64_t older_than_unix_nanos) {
  FERRY_RETURN_IF_ERROR(CheckOpen());
  return DoDeleteStaleTemporaries(older_than_unix_nanos);
}

Status Storage::Close() {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return Status::OK();
  return DoClose();
}

}  // namespace ferry::blob
