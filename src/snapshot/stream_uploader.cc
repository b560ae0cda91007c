#include "snapshot/stream_uploader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>

#include "object/indirect_list.h"
#include "object/object_writer.h"

namespace ferry::snapshot {

namespace {

constexpr size_t kReadBlock = 4 << 20;  // large, aligned reads

bool IsAllZero(const uint8_t* p, size_t n) {
  // Cheap on real data: the first non-zero word ends it.
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w) return false;
  }
  for (; i < n; ++i) {
    if (p[i]) return false;
  }
  return true;
}

std::string ErrnoText(int err) { return std::strerror(err); }

// Where the next data byte at or after `offset` is, and where the data run ends, for a sparse
// file; falls back to "all data" when the filesystem cannot say.
struct Extent {
  int64_t data_start;
  int64_t data_end;
};

Extent NextExtent(int fd, int64_t offset, int64_t size) {
  off_t d = lseek(fd, offset, SEEK_DATA);
  if (d < 0) {
    if (errno == ENXIO) return {size, size};  // only a hole remains
    return {offset, size};                    // SEEK_DATA unsupported: treat all as data
  }
  off_t h = lseek(fd, d, SEEK_HOLE);
  if (h < 0) h = size;
  return {std::min<int64_t>(d, size), std::min<int64_t>(h, size)};
}

}  // namespace

StreamUploader::StreamUploader(repo::Repository* repository, WorkPool* chunk_pool,
                               UploadProgress* progress, const std::atomic<bool>* cancel)
    : repository_(repository), chunk_pool_(chunk_pool), progress_(progress), cancel_(cancel) {}

std::shared_ptr<Bytes> StreamUploader::TakeBuffer(size_t capacity) {
  constexpr size_t kMaxFreeBuffers = 8;
  std::unique_ptr<Bytes> buf;
  {
    std::lock_guard<std::mutex> lock(buffers_mu_);
    if (!free_buffers_.empty()) {
      buf = std::move(free_buffers_.back());
      free_buffers_.pop_back();
    }
  }
  if (!buf) buf = std::make_unique<Bytes>();
  buf->clear();
  if (buf->capacity() < capacity) buf->reserve(capacity);
  // The deleter puts the buffer back instead of freeing it (the uploader outlives its chunks).
  return std::shared_ptr<Bytes>(buf.release(), [this](Bytes* b) {
    std::lock_guard<std::mutex> lock(buffers_mu_);
    if (free_buffers_.size() < kMaxFreeBuffers) {
      free_buffers_.emplace_back(b);
    } else {
      delete b;
    }
  });
}

Result<content::ContentId> StreamUploader::StoreChunk(ByteView chunk, compression::HeaderId compression) {
  if (!chunk.empty() && IsAllZero(chunk.data(), chunk.size())) {
    auto key = std::make_pair(chunk.size(), compression);
    {
      std::lock_guard<std::mutex> lock(zero_mu_);
      auto it = zero_chunks_.find(key);
      if (it != zero_chunks_.end()) return it->second;
    }
    FERRY_ASSIGN_OR_RETURN(content::ContentId id, repository_->contents()->WriteContent(chunk, 0, compression));
    std::lock_guard<std::mutex> lock(zero_mu_);
    zero_chunks_[key] = id;
    return id;
  }
  return repository_->contents()->WriteContent(chunk, 0, compression);
}

Result<object::ObjectId> StreamUploader::Upload(int fd, int64_t size, const StreamUploadOptions& o) {
  auto splitter = repository_->splitter_factory()();
  const size_t max_chunk = splitter->max_segment_size();
  const bool parallel = o.parallel_chunks && chunk_pool_ != nullptr;
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  // Sparse handling only for regular files with holes.
  bool sparse = false;
  if (o.sparse && size > 0) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && int64_t(st.st_blocks) * 512 < st.st_size) sparse = true;
  }
  Extent extent{0, size < 0 ? INT64_MAX : size};
  if (sparse) extent = NextExtent(fd, 0, size);

  std::deque<object::IndirectEntry> entries;  // stable references for the chunk tasks
  TaskGroup group;
  Status first_error;
  // One uninitialised read buffer per thread, reused for every file it uploads (zero-filling a
  // fresh 4 MiB buffer per small file was the biggest cost of a tree of small files).
  thread_local std::unique_ptr<uint8_t[]> read_buf_storage(new uint8_t[kReadBlock]);
  uint8_t* read_buf = read_buf_storage.get();
  auto chunk = TakeBuffer(std::min(max_chunk, size_t(size < 0 ? max_chunk : size_t(size))));
  int64_t offset = 0;       // bytes consumed from the source
  int64_t chunk_start = 0;  // object offset of the current chunk

  auto emit = [&](std::shared_ptr<Bytes> data) -> Status {
    entries.push_back({chunk_start, int64_t(data->size()), {}});
    object::IndirectEntry* slot = &entries.back();
    chunk_start += int64_t(data->size());
    if (!parallel) {
      FERRY_ASSIGN_OR_RETURN(content::ContentId id, StoreChunk(*data, o.compression));
      slot->object = object::ObjectId::Direct(id);
      progress_->hashed_bytes += int64_t(data->size());
      return Status::OK();
    }
    if (group.failed()) return Status::OK();  // the error is reported by Wait()
    group.Add();
    chunk_pool_->Submit([this, data, slot, &group, compression = o.compression] {
      auto id = StoreChunk(*data, compression);
      if (id.ok()) {
        slot->object = object::ObjectId::Direct(*id);
        progress_->hashed_bytes += int64_t(data->size());
      }
      group.Done(id.status());
    });
    return Status::OK();
  };

  Status status;
  while (size < 0 || offset < size) {
    if (cancel_ && cancel_->load()) {
      status = Status::Cancelled("upload cancelled");
      break;
    }
    size_t want = kReadBlock;
    if (size >= 0) want = size_t(std::min<int64_t>(int64_t(want), size - offset));
    ssize_t got;
    if (sparse && offset < extent.data_start) {
      // A hole: the zeros need not be read.
      want = size_t(std::min<int64_t>(int64_t(want), extent.data_start - offset));
      std::memset(read_buf, 0, want);
      got = ssize_t(want);
    } else {
      if (sparse) want = size_t(std::min<int64_t>(int64_t(want), extent.data_end - offset));
      got = pread(fd, read_buf, want, offset);
      if (got < 0) {
        if (errno == EINTR) continue;
        status = Status::IOError("reading " + o.description + ": " + ErrnoText(errno));
        break;
      }
      progress_->read_bytes += got;
      if (got == 0) {
        if (size >= 0) status = Status::IOError(o.description + " is shorter than expected (it changed while being read)");
        break;
      }
    }
    offset += got;
    if (sparse && offset >= extent.data_end && offset < size) extent = NextExtent(fd, offset, size);
    ByteView view(read_buf, size_t(got));
    while (!view.empty()) {
      size_t n = splitter->NextSplitPoint(view);
      if (n == splitter::kNoSplit) {
        chunk->insert(chunk->end(), view.begin(), view.end());
        break;
      }
      chunk->insert(chunk->end(), view.begin(), view.begin() + long(n));
      view = view.subspan(n);
      status = emit(chunk);
      if (!status.ok()) break;
      chunk = TakeBuffer(max_chunk);
    }
    if (!status.ok()) break;
  }
  if (status.ok() && (!chunk->empty() || entries.empty())) status = emit(chunk);
  Status waited = parallel ? group.Wait() : Status::OK();
  if (!status.ok()) return status;
  if (!waited.ok()) return waited;

  if (entries.size() == 1) return entries.front().object;
  std::vector<object::IndirectEntry> list(entries.begin(), entries.end());
  std::string json = object::SerializeIndirectList(list);
  object::WriterOptions wo;
  wo.prefix = 'x';
  wo.compression = 0x1101;  // zstd-fastest, kopia's metadata compression
  wo.description = "indirect list of " + o.description;
  auto writer = repository_->objects()->NewWriter(wo);
  FERRY_RETURN_IF_ERROR(writer->Write(AsBytes(json)));
  FERRY_ASSIGN_OR_RETURN(object::ObjectId list_id, writer->Result());
  return list_id.Indirect();
}

}  // namespace ferry::snapshot
