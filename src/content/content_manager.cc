#include "content/content_manager.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <cstring>
#include <queue>
#include <semaphore>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include <sys/mman.h>
#include <unistd.h>

#include "compression/crc32c.h"
#include "content/encrypted_blob.h"
#include "content/epoch_manager.h"
#include "content/index_builder.h"
#include "content/index_spill.h"
#include "content/index_view.h"
#include "content/pack_format.h"
#include "content/pack_id_table.h"
#include "content/session.h"

namespace ferry::content {

namespace {

int64_t SystemNowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Copies the fields every form of an index entry has (all but the pack ID).
template <typename To, typename From>
To CopyEntryFields(const From& from) {
  To to;
  to.id = from.id;
  to.pack_offset = from.pack_offset;
  to.packed_length = from.packed_length;
  to.original_length = from.original_length;
  to.timestamp = from.timestamp;
  to.deleted = from.deleted;
  to.compression_header = from.compression_header;
  to.format_version = from.format_version;
  return to;
}

ContentInfo ToInfo(const IndexEntry& e) {
  ContentInfo i = CopyEntryFields<ContentInfo>(e);
  i.pack_blob_id = std::string(e.pack_blob_id);
  return i;
}

IndexEntry FromInfo(const ContentInfo& i) {
  IndexEntry e = CopyEntryFields<IndexEntry>(i);
  e.pack_blob_id = i.pack_blob_id;  // the view lives as long as `i`
  return e;
}

bool InfoSupersedes(const ContentInfo& a, const ContentInfo& b) {
  return Supersedes(FromInfo(a), FromInfo(b));
}

// A content in a pack that no index blob names yet, without its pack ID (the pack's record holds
// that once). Packs keep them packed (PackedEntries); this is the unpacked form.
struct PendingEntry {
  ContentId id;
  uint8_t format_version = 0;
  bool deleted = false;
  uint32_t pack_offset = 0;
  uint32_t packed_length = 0;
  uint32_t original_length = 0;
  uint32_t compression_header = 0;
  int64_t timestamp = 0;
};

PendingEntry ToPending(const ContentInfo& i) { return CopyEntryFields<PendingEntry>(i); }
PendingEntry FromIndexEntry(const IndexEntry& e) { return CopyEntryFields<PendingEntry>(e); }

// The pending entries of one pack, packed back to back: the ID's key (1 + hash size bytes: 17
// for kopia's default 128-bit hashes, where a ContentId reserves 34), the offset, the original
// length, and two bytes naming the entry's attributes (timestamp, compression, format version,
// deleted) in a small table of the distinct ones — a pack's contents share a handful, written
// in the same few seconds. Packed lengths follow from the offsets: a pack's contents lie back
// to back. 27 bytes per entry for the default hash instead of a 64-byte PendingEntry: a pack of
// 1 KiB files holds ~19 600 of them, and a backup keeps two such packs' entries at once.
class PackedEntries {
 public:
  // A pack is sealed before it needs more distinct attributes than this.
  static constexpr size_t kMaxAttributes = 65535;

  explicit PackedEntries(size_t key_size) : key_size_(key_size), stride_(key_size + kFieldBytes) {}

  size_t size() const { return bytes_.size() / stride_; }
  bool empty() const { return bytes_.empty(); }
  bool attributes_full() const { return attributes_.size() >= kMaxAttributes; }
  void reserve(size_t entries) { bytes_.reserve(entries * stride_); }
  size_t key_size() const { return key_size_; }

  // InvalidArgument if the ID's length is not this pack's (every content of a repository has
  // the same hash length; an index could claim otherwise); Internal if the entry does not start
  // where the previous one ends.
  Status push_back(const PendingEntry& e) {
    if (e.id.key_size() != key_size_) {
      return Status::InvalidArgument("content " + e.id.ToString() + " has a " + std::to_string(e.id.key_size()) +
                                     "-byte key where this repository's are " + std::to_string(key_size_));
    }
    if (!empty() && e.pack_offset != end_) {
      return Status::Internal("pack entry at offset " + std::to_string(e.pack_offset) + " does not follow the last (" +
                              std::to_string(end_) + ")");
    }
    if (attributes_full()) return Status::Internal("pack entry attribute table is full");
    const Attributes attr{e.timestamp, e.compression_header, e.format_version, e.deleted};
    // The recent ones first: a pack's contents mostly share the last few (a duplicate further
    // back only costs a table slot).
    size_t a = attributes_.size();
    for (size_t k = attributes_.size(); k-- > 0 && k + 4 >= attributes_.size();) {
      if (attributes_[k] == attr) {
        a = k;
        break;
      }
    }
    if (a == attributes_.size()) attributes_.push_back(attr);
    const size_t at = bytes_.size();
    bytes_.resize(at + stride_);
    uint8_t* p = bytes_.data() + at;
    e.id.WriteKey(p);
    p += key_size_;
    std::memcpy(p, &e.pack_offset, 4);
    std::memcpy(p + 4, &e.original_length, 4);
    const uint16_t a16 = uint16_t(a);
    std::memcpy(p + 8, &a16, 2);
    end_ = e.pack_offset + e.packed_length;
    return Status::OK();
  }

  ContentId id(size_t i) const { return ContentId::FromWrittenKey(Key(i), key_size_); }
  uint32_t pack_offset(size_t i) const { return Field32(i, 0); }
  uint32_t packed_length(size_t i) const { return (i + 1 < size() ? pack_offset(i + 1) : end_) - pack_offset(i); }

  PendingEntry at(size_t i) const {
    PendingEntry e;
    e.id = id(i);
    e.pack_offset = pack_offset(i);
    e.packed_length = packed_length(i);
    e.original_length = Field32(i, 4);
    uint16_t a;
    std::memcpy(&a, Key(i) + key_size_ + 8, 2);
    const Attributes& attr = attributes_[a];
    e.timestamp = attr.timestamp;
    e.compression_header = attr.compression_header;
    e.format_version = attr.format_version;
    e.deleted = attr.deleted;
    return e;
  }

 private:
  struct Attributes {
    int64_t timestamp;
    uint32_t compression_header;
    uint8_t format_version;
    bool deleted;
    friend bool operator==(const Attributes&, const Attributes&) = default;
  };
  static constexpr size_t kFieldBytes = 4 + 4 + 2;
  const uint8_t* Key(size_t i) const { return bytes_.data() + i * stride_; }
  uint32_t Field32(size_t i, size_t byte) const {
    uint32_t v;
    std::memcpy(&v, Key(i) + key_size_ + byte, 4);
    return v;
  }

  size_t key_size_;
  size_t stride_;
  std::vector<uint8_t> bytes_;
  std::vector<Attributes> attributes_;
  uint32_t end_ = 0;  // where the last entry ends
};

// An entry's ID by its index, for a pack's PackIdTable.
auto KeyOf(const PackedEntries& entries) {
  return [&entries](uint32_t i) { return entries.id(i); };
}

// pack must outlive the returned entry.
IndexEntry ToIndexEntry(const PendingEntry& p, std::string_view pack) {
  IndexEntry e = CopyEntryFields<IndexEntry>(p);
  e.pack_blob_id = pack;
  return e;
}

ContentInfo ToInfo(const PendingEntry& p, const std::string& pack) {
  ContentInfo i = ToInfo(ToIndexEntry(p, pack));
  return i;
}

// Sorts references to entries by ID, keeps the winning entry of each ID (kopia's rule) and
// builds the index. The entries are not copied: an IndexEntry is 96 bytes, and the index of a
// pack or of a session's last few packs holds tens of thousands of them.
template <typename Ref, typename IdOf, typename EntryOf>
Result<Bytes> BuildIndex(std::vector<Ref>* refs, IdOf id_of, EntryOf entry_of, int version, size_t spare_capacity = 0) {
  std::sort(refs->begin(), refs->end(), [&](const Ref& a, const Ref& b) {
    const auto& ida = id_of(a);  // by value or by reference, whatever id_of returns
    const auto& idb = id_of(b);
    if (ida != idb) return ida < idb;
    return Supersedes(entry_of(b), entry_of(a));  // the winner first
  });
  refs->erase(std::unique(refs->begin(), refs->end(), [&](const Ref& a, const Ref& b) { return id_of(a) == id_of(b); }),
              refs->end());
  return IndexBuilder::BuildSorted(refs->size(), [&](size_t i) { return entry_of((*refs)[i]); }, version,
                                   spare_capacity);
}

// An index blob is written every this many contents stored in uploaded packs, rather than only
// at Flush: the pending entries of a first backup of a million small files cost ~80 bytes each
// (entry and location), so memory would grow with the tree. A pack of 1 KiB files holds ~19 000
// contents, so those get an index blob per pack: at most one uploaded pack's entries wait for
// one, and the blob's build (references, plaintext, ciphertext: ~90 bytes per entry) stays
// under 2 MB (25 000, two packs of them, peaked ~3 MB higher at a million files). Each blob adds
// a filter probe (one memory access) to every later lookup of this session.
constexpr size_t kIndexFlushEntries = 16384;

// A pack being filled, or sealed and waiting for its last writers, or being uploaded. Contents
// are encrypted straight into `buf` (outside the manager's lock) at offsets reserved under it;
// `buf` is allocated once, uninitialised, with room for every reservation, so it never moves.
struct Pack {
  std::string id;
  std::unique_ptr<uint8_t[]> buf;
  size_t size = 0;
  size_t capacity = 0;
  PackedEntries entries{0};  // sized for the repository's IDs by NewPack
  PackIdTable ids;           // the live entries by ID
  // Once the pack is finished, its local index (sorted by ID, in memory) answers for its
  // contents instead of `entries` and `ids`, which are dropped; it becomes the pack's index
  // blob as it is when it has an index blob to itself (a pack of small files).
  std::shared_ptr<const IndexView> local;
  // Per entry: reserved (being encrypted), ready (in buf) or stored (in buf and in `writer`).
  std::vector<uint8_t> state;
  int writers = 0;          // reservations still being encrypted, or streaming
  bool sealed = false;      // no more reservations; upload when writers == 0
  // Streaming (stores with Storage::streams_writes()): contents go to `writer` while the pack
  // fills and their pages are given back, so a pack costs its contents in flight rather than
  // 20 MiB. A large content is written by its own writer thread as soon as it is encrypted; the
  // small ones are written in runs once enough of them are ready, wherever they are (a large
  // content still being encrypted does not hold back those after it). Stored entries must not
  // be read from buf.
  std::unique_ptr<blob::BlobWriter> writer;
  size_t ready_bytes = 0;    // of entries ready and not stored
  size_t first_unstored = 0;  // entries before it are all stored
  bool streaming = false;     // one thread at a time stores runs
  Status stream_error;
  // Not streaming: the CRC-32C of each content of at least kCrcMinBytes, taken piece by piece as
  // it was sealed into buf (while each piece was in the CPU cache), so that the pack's CRC for
  // the store (S3's x-amz-checksum-crc32c) need not read them from memory again (PackCrc32c).
  struct ContentCrc {
    size_t offset, length;
    uint32_t crc;
  };
  std::vector<ContentCrc> content_crcs;
  ByteView bytes() const { return {buf.get(), size}; }
};

// Gives the whole pages inside buf[from, to) back to the system: they have been streamed and
// are never read again (the pack's buffer stays allocated, those pages read as zeros).
void ReleasePages(uint8_t* buf, size_t from, size_t to) {
  static const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  uintptr_t start = (uintptr_t(buf) + from + page - 1) & ~(page - 1);
  uintptr_t end = (uintptr_t(buf) + to) & ~(page - 1);
  if (end > start) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
}

enum EntryState : uint8_t { kReserved = 0, kReady = 1, kStored = 2 };

// A content at least this large is stored by its writer at once.
constexpr size_t kStreamMinBytes = 1 << 20;
// Smaller ones are stored in runs of at least this much: the ready, unstored part of a pack is
// what its buffer costs in memory (1 MiB runs kept ~2 MB more resident across the packs alive).
constexpr size_t kStreamRunBytes = 256 << 10;

// With a streaming store, a content at least this large is encrypted in pieces of
// kDirectPieceBytes through a per-thread buffer and written at its offset in the pack file
// (AppendToPack). Below it, one pwrite per content would cost more than the page faults saved.
constexpr size_t kDirectMinBytes = 64 << 10;
constexpr size_t kDirectPieceBytes = 256 << 10;  // well inside the L2 cache

// Sees the sealed bytes of a content as AppendToPack's fill writes them into the pack, in order.
using SealedObserver = std::function<void(ByteView piece)>;

// Where AppendToPack's fill_pieces sends a content's sealed bytes, in order.
using PieceSink = std::function<Status(ByteView piece)>;

// Not streaming, a content at least this large has its CRC-32C computed piece by piece as it is
// sealed into the pack, while each piece is in the cache, and combined into the pack's (a
// combination costs about as much as the CRC of ~20 KiB; smaller contents are read again).
constexpr size_t kCrcMinBytes = 128 << 10;

// The CRC-32C of the whole pack: the contents' own CRCs combined, the rest read from buf.
uint32_t PackCrc32c(Pack* pack) {
  auto& crcs = pack->content_crcs;
  std::sort(crcs.begin(), crcs.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  const uint8_t* buf = pack->buf.get();
  uint32_t crc = 0;
  size_t at = 0;
  for (const auto& c : crcs) {
    crc = compression::crc32c::Extend(crc, buf + at, c.offset - at);
    crc = compression::crc32c::Combine(crc, c.crc, c.length);
    at = c.offset + c.length;
  }
  return compression::crc32c::Extend(crc, buf + at, pack->size - at);
}

// A thread's buffer for the sealed bytes of the contents it reads is given back when a read
// left it larger than this (contents are up to a few MiB; an indirect list can be larger).
constexpr size_t kMaxKeptReadBuffer = 32 << 20;

// Where a read is a costly round trip (Storage::small_reads_are_costly: S3), a content smaller
// than kWindowedMaxContent is read through a window: kWindowBytes of its pack from the content's
// offset, kept (kWindows of them, most recent first) for the contents that follow it. Contents
// are stored in the order they were written, so a restore of small files, which reads them in
// the same order, needs one GET per window instead of one per file (5 000 files of 1 KiB from
// moto: 6 028 GETs and 14 s before).
constexpr size_t kWindowedMaxContent = 128 << 10;
constexpr size_t kWindowBytes = 1 << 20;
constexpr size_t kWindows = 4;

// A streaming pack's local index is sealed into its file in pieces of this size.
constexpr size_t kLocalIndexPieceBytes = 64 << 10;

// Byte ranges of a pack's buffer to store.
using Runs = std::vector<std::pair<size_t, size_t>>;

class ContentManagerImpl : public ContentManager {
 public:
  ContentManagerImpl(blob::Storage* storage, ContentFormat format, ContentManagerOptions options)
      : storage_(storage),
        format_(std::move(format)),
        options_(std::move(options)),
        epochs_(storage, format_.epoch),
        streams_(storage->streams_writes()),
        windowed_reads_(storage->small_reads_are_costly()) {
    if (!options_.now) options_.now = SystemNowSeconds;
    session_id_ = NewSessionId(options_.now());
  }

  Status Init() { return Refresh(); }

  ContentId ComputeContentId(ByteView data, char prefix) const override {
    uint8_t digest[crypto::kMaxHashSize];
    format_.hash->Hash(data, digest);
    return *ContentId::FromHash(prefix, ByteView(digest, format_.hash->output_size()));
  }

  Result<ContentId> WriteContent(ByteView data, char prefix,
                                 compression::HeaderId compression) override {
    if (options_.read_only) return Status::Unsupported("repository is open read-only");
    if (prefix != 0 && (prefix < 'g' || prefix > 'z')) {
      return Status::InvalidArgument(std::string("invalid content prefix '") + prefix + "'");
    }
    ContentId id = ComputeContentId(data, prefix);
    int64_t min_timestamp = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (IsPresentPendingLocked(id)) return Deduplicated(id, data.size());
    }
    {
      FERRY_ASSIGN_OR_RETURN(std::optional<ContentInfo> committed, LookupCommitted(id));
      if (committed && !committed->deleted) return Deduplicated(id, data.size());
      // A deleted content must be written again, with a timestamp after the deletion (§17.2).
      if (committed) min_timestamp = committed->timestamp + 1;
    }

    // Compress (only if it helps) outside any lock: data into a buffer each thread keeps (no
    // page faults per chunk), metadata (directories, manifests: prefixed, few, up to a few
    // hundred KiB) into one that goes with the call, so that no thread keeps the largest
    // directory's size.
    thread_local Bytes data_compressed;
    Bytes metadata_compressed;
    Bytes& compressed = prefix ? metadata_compressed : data_compressed;
    ByteView payload = data;
    uint32_t used_compression = 0;
    if (compression != compression::kNoCompression) {
      FERRY_RETURN_IF_ERROR(compression::Compress(
          compression, data, &compressed, prefix ? compression::Payload::kMetadata : compression::Payload::kData));
      if (compressed.size() < data.size()) {
        payload = compressed;
        used_compression = compression;
      }
    }
    const size_t need = payload.size() + crypto::kEncryptionOverhead;
    ContentInfo info;
    info.id = id;
    info.packed_length = uint32_t(need);
    info.original_length = uint32_t(data.size());
    info.timestamp = std::max(options_.now(), min_timestamp);
    info.compression_header = used_compression;
    info.format_version = uint8_t(format_.format_version);
    // Encrypt straight into the pack, outside the lock: into its buffer, or for a large content
    // of a streaming store in pieces through this thread's scratch buffer to the pack file.
    auto appended = AppendToPack(
        info, /*skip_if_pending=*/true,
        [&](MutableByteView room, const SealedObserver& observe) {
          return format_.encryptor->EncryptInto(payload, id.PackIv(), room, observe);
        },
        [&](const PieceSink& sink) {
          thread_local std::unique_ptr<uint8_t[]> scratch(new uint8_t[kDirectPieceBytes]);
          return format_.encryptor->EncryptInPieces(payload, id.PackIv(),
                                                    MutableByteView(scratch.get(), kDirectPieceBytes), sink);
        });
    if (!appended.ok()) return appended.status();
    if (!*appended) return Deduplicated(id, data.size());
    {
      std::lock_guard<std::mutex> slock(stats_mu_);
      stats_.written_contents++;
      stats_.written_bytes += data.size();
      stats_.written_packed_bytes += need;
    }
    return id;
  }

  // Reserves info.packed_length bytes in the open pack of the content's class, records the entry
  // (pack ID and offset filled in here), then runs fill() on the reserved bytes outside the lock.
  // Returns false without storing anything when skip_if_pending and the ID is already pending
  // and live. A deleted entry (a rewrite of a deleted content) is indexed but not registered as
  // present, so a later write of the same data still stores it anew (§17.2 rule 4).
  //
  // With a streaming store, a content of at least kDirectMinBytes given a fill_pieces is not put
  // in the pack's buffer at all: fill_pieces() hands its sealed bytes, in order, to a sink that
  // writes them at the content's offset in the pack file. The buffer's pages for it are never
  // touched (no page faults, no zeroing, no release), and the bytes written come from a buffer
  // still in the CPU cache.
  Result<bool> AppendToPack(ContentInfo info, bool skip_if_pending,
                            const std::function<Status(MutableByteView, const SealedObserver&)>& fill,
                            const std::function<Status(const PieceSink&)>& fill_pieces = {}) {
    const ContentId id = info.id;
    const size_t need = info.packed_length;
    const char prefix = id.prefix();
    Pack* pack_ptr = nullptr;
    size_t offset = 0, index = 0;
    std::vector<Pack*> to_upload;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const int cls = prefix ? 1 : 0;
      std::unique_ptr<Pack>& pack = open_[cls];
      while (true) {
        if (skip_if_pending && IsPresentPendingLocked(id)) {
          lock.unlock();
          for (Pack* p : to_upload) FinishAndUpload(p);
          return false;
        }
        // A pack is sealed before a content would take it past the maximum size rather than after
        // (as kopia does): a pack buffer then holds at most max_pack_size, not that plus a chunk
        // (the peak memory of a backup).
        if (pack && !pack->entries.empty() && int64_t(pack->size + need) > format_.max_pack_size) {
          SealLocked(cls, &to_upload);
        }
        if (pack && pack->size + need > pack->capacity) SealLocked(cls, &to_upload);
        if (pack && (pack->entries.size() >= PackIdTable::kMaxEntries || pack->entries.attributes_full())) {
          SealLocked(cls, &to_upload);
        }
        if (!to_upload.empty()) {
          // Upload what this writer sealed before waiting for room: it may be the room.
          lock.unlock();
          for (Pack* p : to_upload) FinishAndUpload(p);
          to_upload.clear();
          lock.lock();
          continue;
        }
        // At most kMaxPacksAlive packs of a class exist at once (the open one and those sealed
        // or being uploaded): a writer that would start another waits for an upload to finish.
        // This bounds memory to a few packs whatever the number of writer threads.
        if (!pack && packs_alive_[cls] >= kMaxPacksAlive) {
          pack_cv_.wait(lock);
          continue;
        }
        break;
      }
      if (!pack) {
        auto fresh = NewPack(prefix ? 'q' : 'p', need);
        if (!fresh.ok()) return fresh.status();
        pack = std::move(*fresh);
        ++packs_alive_[cls];
      }
      offset = pack->size;
      info.pack_blob_id = pack->id;
      info.pack_offset = uint32_t(offset);
      index = pack->entries.size();
      // The entry first: if it cannot be recorded (a key of the wrong size), nothing is reserved,
      // so the pack is not left waiting for a writer that never comes.
      if (Status pushed = pack->entries.push_back(ToPending(info)); !pushed.ok()) {
        lock.unlock();
        for (Pack* p : to_upload) FinishAndUpload(p);
        return pushed;
      }
      pack->size += need;
      pack->writers++;
      pack->state.push_back(kReserved);
      if (!info.deleted) pack->ids.Insert(id, uint32_t(index), KeyOf(pack->entries));
      pack_ptr = pack.get();
      if (int64_t(pack->size) >= format_.max_pack_size) SealLocked(cls, &to_upload);
    }
    const bool direct = fill_pieces && pack_ptr->writer && need >= kDirectMinBytes;
    Status filled, stored;
    std::optional<uint32_t> content_crc;
    if (direct) {
      size_t at = offset;
      filled = fill_pieces([&](ByteView piece) -> Status {
        stored = pack_ptr->writer->Write(int64_t(at), piece);
        at += piece.size();
        return stored;
      });
      // A failed write fails the pack (stream_error below), not the session.
      if (!stored.ok()) filled = Status::OK();
    } else {
      // The content's CRC for the pack's (PackCrc32c), taken from the pieces as they are sealed,
      // or read back afterwards from a fill that does not observe (a copied content).
      const bool want_crc = !pack_ptr->writer && need >= kCrcMinBytes;
      uint32_t running = 0;
      size_t observed = 0;
      filled = fill(MutableByteView(pack_ptr->buf.get() + offset, need),
                    want_crc ? SealedObserver([&](ByteView piece) {
                      running = compression::crc32c::Extend(running, piece.data(), piece.size());
                      observed += piece.size();
                    })
                             : SealedObserver());
      if (filled.ok() && want_crc) {
        content_crc = observed == need ? running : compression::crc32c::Value(pack_ptr->buf.get() + offset, need);
      }
    }
    // A large content goes to the store straight away (pwrite of its own range, no waiting for
    // the contents before it), then its pages are released.
    const bool store_now = filled.ok() && pack_ptr->writer && (direct || need >= kStreamMinBytes);
    if (store_now && !direct) {
      stored = pack_ptr->writer->Write(int64_t(offset), ByteView(pack_ptr->buf.get() + offset, need));
      if (stored.ok()) ReleasePages(pack_ptr->buf.get(), offset, offset + need);
    }
    Runs runs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stored.ok() && pack_ptr->stream_error.ok()) pack_ptr->stream_error = stored;
      if (filled.ok()) {
        if (content_crc) pack_ptr->content_crcs.push_back({offset, need, *content_crc});
        pack_ptr->state[index] = store_now ? kStored : kReady;
        if (!store_now) pack_ptr->ready_bytes += need;
        ClaimStreamRunsLocked(pack_ptr, &runs);
      } else {
        if (!info.deleted) pack_ptr->ids.Erase(id, KeyOf(pack_ptr->entries));
        if (upload_error_.ok()) upload_error_ = filled.WithContext("storing content " + id.ToString());
      }
      // A thread storing runs stays counted as a writer until it is done, so the pack is not
      // finished under it.
      if (runs.empty() && --pack_ptr->writers == 0 && pack_ptr->sealed) to_upload.push_back(pack_ptr);
    }
    if (!runs.empty()) {
      Status streamed = StoreRuns(pack_ptr, runs);
      std::lock_guard<std::mutex> lock(mu_);
      pack_ptr->streaming = false;
      if (streamed.ok()) {
        for (const auto& [from, to] : runs) ReleaseEdgesLocked(pack_ptr, from, to);
      }
      if (!streamed.ok() && pack_ptr->stream_error.ok()) pack_ptr->stream_error = streamed;
      if (--pack_ptr->writers == 0 && pack_ptr->sealed) to_upload.push_back(pack_ptr);
    }
    for (Pack* p : to_upload) FinishAndUpload(p);
    if (!filled.ok()) return filled;
    return true;
  }

  Status GetContent(const ContentId& id, Bytes* out) override {
    ContentInfo info;
    // Reused by the thread: a restore reads 4 MiB contents one after another, and a new buffer
    // for each cost its page faults (and, read from S3, the zeroing of fresh memory).
    thread_local Bytes sealed;
    bool from_memory = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (std::optional<ContentInfo> p = FindPendingLocked(id)) {
        info = *p;
        if (const Pack* pack = FindUnuploadedPackLocked(info.pack_blob_id)) {
          if (InMemoryLocked(*pack, info.pack_offset)) {
            sealed.assign(pack->buf.get() + info.pack_offset,
                          pack->buf.get() + info.pack_offset + info.packed_length);
            from_memory = true;
          } else {
            // Its bytes went to the store's temp file: finish the pack (sealing it if it is
            // still open) and read them back once it is stored. Rare: a backup does not read
            // what it has just written.
            std::vector<Pack*> to_upload;
            for (int cls = 0; cls < 2; ++cls) {
              if (open_[cls].get() == pack) SealLocked(cls, &to_upload);
            }
            lock.unlock();
            for (Pack* p2 : to_upload) FinishAndUpload(p2);
            lock.lock();
            uploaded_cv_.wait(lock, [&] { return FindUnuploadedPackLocked(info.pack_blob_id) == nullptr; });
          }
        }
      } else {
        FERRY_ASSIGN_OR_RETURN(auto committed, LookupCommitted(id));
        if (!committed) return Status::NotFound("content " + id.ToString() + " not found");
        info = *committed;
      }
    }
    if (info.deleted) return Status::NotFound("content " + id.ToString() + " is deleted");
    if (!from_memory) {
      Status s = windowed_reads_ && info.packed_length < kWindowedMaxContent ? ReadThroughWindow(info, &sealed)
                                                                             : storage_->GetBlob(info.pack_blob_id, info.pack_offset,
                                                                                                 info.packed_length, &sealed);
      if (s.code() == StatusCode::kInvalidArgument) {
        return Status::Corruption("pack " + info.pack_blob_id + " is shorter than its index says (content " +
                                  id.ToString() + ")");
      }
      if (!s.ok()) return s.WithContext("reading content " + id.ToString() + " from pack " + info.pack_blob_id);
    }
    Status decoded = DecodeContent(info, sealed, out);
    if (sealed.capacity() > kMaxKeptReadBuffer) Bytes().swap(sealed);
    return decoded;
  }

  Result<ContentInfo> GetContentInfo(const ContentId& id) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (std::optional<ContentInfo> p = FindPendingLocked(id)) return *p;
    }
    FERRY_ASSIGN_OR_RETURN(auto committed, LookupCommitted(id));
    if (!committed) return Status::NotFound("content " + id.ToString() + " not found");
    return *committed;
  }

  Status DeleteContent(const ContentId& id) override {
    if (options_.read_only) return Status::Unsupported("repository is open read-only");
    FERRY_ASSIGN_OR_RETURN(ContentInfo info, GetContentInfo(id));
    if (info.deleted) return Status::OK();
    std::lock_guard<std::mutex> lock(mu_);
    if (FindPendingHitLocked(id)) {
      return Status::Unsupported("content " + id.ToString() + " was written in this session; flush before deleting it");
    }
    info.deleted = true;
    info.timestamp = std::max(options_.now(), info.timestamp + 1);
    pending_deletions_[id] = info;
    return Status::OK();
  }

  Status UndeleteContent(const ContentId& id) override {
    if (options_.read_only) return Status::Unsupported("repository is open read-only");
    FERRY_ASSIGN_OR_RETURN(ContentInfo info, GetContentInfo(id));
    if (!info.deleted) return Status::OK();
    std::lock_guard<std::mutex> lock(mu_);
    info.deleted = false;
    info.timestamp = std::max(options_.now(), info.timestamp + 1);
    pending_deletions_[id] = info;
    return Status::OK();
  }

  Status RewriteContent(const ContentId& id) override {
    if (options_.read_only) return Status::Unsupported("repository is open read-only");
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Written or changed in this session: its pending entry already supersedes the old pack.
      if (FindPendingHitLocked(id) || pending_deletions_.count(id)) return Status::OK();
    }
    FERRY_ASSIGN_OR_RETURN(std::optional<ContentInfo> committed, LookupCommitted(id));
    if (!committed) return Status::NotFound("content " + id.ToString() + " not found");
    ContentInfo info = *committed;
    Bytes sealed;
    Status s = storage_->GetBlob(info.pack_blob_id, info.pack_offset, info.packed_length, &sealed);
    if (s.code() == StatusCode::kInvalidArgument) {
      return Status::Corruption("pack " + info.pack_blob_id + " is shorter than its index says (content " +
                                id.ToString() + ")");
    }
    if (!s.ok()) return s.WithContext("reading content " + id.ToString() + " from pack " + info.pack_blob_id);
    Bytes plain;
    FERRY_RETURN_IF_ERROR(DecodeContent(info, sealed, &plain));  // never copy damaged bytes
    info.timestamp = std::max(options_.now(), info.timestamp + 1);
    auto appended = AppendToPack(info, /*skip_if_pending=*/!info.deleted, [&](MutableByteView room, const SealedObserver&) {
      std::memcpy(room.data(), sealed.data(), sealed.size());
      return Status::OK();
    });
    return appended.status();
  }

  Result<std::string> CompactIndexBlobs(const std::vector<std::string>& blob_ids,
                                        const std::string& output_prefix) override {
    if (options_.read_only) return Status::Unsupported("repository is open read-only");
    if (blob_ids.empty()) return Status::InvalidArgument("no index blobs to compact");
    std::vector<std::shared_ptr<const IndexView>> views;
    for (const auto& blob_id : blob_ids) {
      std::shared_ptr<const IndexView> view;
      {
        std::shared_lock<std::shared_mutex> lock(committed_mu_);
        auto it = index_cache_.find(blob_id);
        if (it != index_cache_.end()) view = it->second;
      }
      if (!view) {
        FERRY_ASSIGN_OR_RETURN(Bytes plain, GetEncryptedBlob(storage_, *format_.encryptor, blob_id));
        FERRY_ASSIGN_OR_RETURN(view, IndexView::Parse(std::move(plain), blob_id));
      }
      views.push_back(std::move(view));
    }
    IndexBuilder builder;
    FERRY_RETURN_IF_ERROR(MergeViews(views, {}, [&](const IndexEntry& e) { return builder.AppendSorted(e); }));
    if (builder.empty()) return Status::InvalidArgument("the index blobs to compact hold no entries");
    FERRY_ASSIGN_OR_RETURN(Bytes index, builder.Build(format_.index_version));
    uint8_t rnd[8];
    FERRY_RETURN_IF_ERROR(crypto::RandomBytes(MutableByteView(rnd, sizeof(rnd))));
    std::string suffix = "s" + HexEncode(ByteView(rnd, sizeof(rnd))) + "-c1";
    FERRY_ASSIGN_OR_RETURN(std::string id, PutEncryptedBlob(storage_, *format_.hash, *format_.encryptor, output_prefix,
                                                            suffix, index, format_.put_options));
    FERRY_RETURN_IF_ERROR(storage_->Sync().WithContext("syncing compacted index blob " + id));
    return id;
  }

  int64_t deletion_watermark() const override {
    std::shared_lock<std::shared_mutex> lock(committed_mu_);
    return watermark_;
  }

  Status Flush() override {
    std::vector<Pack*> to_upload;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int cls = 0; cls < 2; ++cls) SealLocked(cls, &to_upload);
    }
    for (Pack* p : to_upload) FinishAndUpload(p);

    {
      std::unique_lock<std::mutex> lock(mu_);
      uploaded_cv_.wait(lock, [this] { return uploads_in_progress_ == 0; });
      if (!upload_error_.ok()) {
        Status s = upload_error_;
        upload_error_ = Status::OK();
        return s;
      }
    }
    std::lock_guard<std::mutex> index_lock(index_mu_);
    return WriteIndexLocked(/*with_deletions=*/true);
  }

  // Writes one index blob naming every uploaded pack's contents (and, from Flush, the pending
  // deletions), then drops them from the pending state: entries added meanwhile stay pending.
  // Call with index_mu_ held (index writes are serialised; only they erase from uploaded_).
  //
  // A single pack's local index is its index blob, byte for byte (both are built from the same
  // entries the same way): a pack of small files gets its blob without building anything.
  // Otherwise the local indexes' entries are merged through 24-byte references.
  Status WriteIndexLocked(bool with_deletions) {
    std::vector<std::pair<std::string, std::shared_ptr<const IndexView>>> packs;
    std::vector<ContentInfo> deletions;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [pack_id, uploaded] : uploaded_) packs.emplace_back(pack_id, uploaded.local);
      if (with_deletions) {
        for (const auto& [id, e] : pending_deletions_) deletions.push_back(e);
      }
    }
    if (packs.empty() && deletions.empty()) return Status::OK();
    // The packs must be durable before an index that names them can be.
    FERRY_RETURN_IF_ERROR(storage_->Sync().WithContext("syncing packs before writing the index"));
    Bytes built;
    ByteView index;
    if (packs.size() == 1 && deletions.empty()) {
      index = packs[0].second->bytes();
    } else {
      struct Ref {
        const IndexView* local;  // its entry `index`, or
        const ContentInfo* deletion;
        uint32_t index;
      };
      std::vector<Ref> refs;
      for (const auto& [pack_id, local] : packs) {
        for (uint32_t i = 0; i < local->size(); ++i) refs.push_back({local.get(), nullptr, i});
      }
      for (const auto& e : deletions) refs.push_back({nullptr, &e, 0});
      Status undecodable;
      auto id_of = [](const Ref& r) {
        if (r.deletion) return r.deletion->id;
        ByteView key = r.local->KeyAt(r.index);
        return ContentId::FromWrittenKey(key.data(), key.size());
      };
      auto entry_of = [&undecodable](const Ref& r) {
        if (r.deletion) return FromInfo(*r.deletion);
        auto e = r.local->EntryAt(r.index);
        if (!e.ok() && undecodable.ok()) undecodable = e.status();
        return e.ok() ? *e : IndexEntry{};
      };
      FERRY_ASSIGN_OR_RETURN(built, BuildIndex(&refs, id_of, entry_of, format_.index_version));
      FERRY_RETURN_IF_ERROR(undecodable);
      index = built;
    }
    auto blob_id = epochs_.WriteIndexBlob([&](const std::string& prefix) {
      return PutEncryptedBlob(storage_, *format_.hash, *format_.encryptor, prefix,
                              session_id_ + "-c1", index, format_.put_options);
    });
    if (!blob_id.ok()) return blob_id.status().WithContext("writing index blob");
    FERRY_RETURN_IF_ERROR(storage_->Sync().WithContext("syncing the index blob"));
    // Spilled, this copies only the filter, fences and tables out of `index`.
    FERRY_ASSIGN_OR_RETURN(auto view, IndexView::ParseCopy(index, *blob_id, IndexSpill()));
    {
      std::unique_lock<std::shared_mutex> clock(committed_mu_);
      committed_.push_back(view);
      index_cache_[*blob_id] = view;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Everything in this index is now committed; entries added meanwhile stay pending.
      for (const auto& [pack_id, local] : packs) {
        auto it = uploaded_.find(pack_id);
        uploaded_entries_ -= local->size();
        uploaded_.erase(it);
      }
      for (const auto& e : deletions) pending_deletions_.erase(e.id);
    }
    {
      std::lock_guard<std::mutex> slock(stats_mu_);
      stats_.index_blobs_written++;
    }
    return Status::OK();
  }

  Status Refresh() override {
    FERRY_ASSIGN_OR_RETURN(IndexBlobSet set, epochs_.Load());
    if (!options_.read_only) {
      auto advanced = epochs_.MaybeAdvance(set);
      if (advanced.ok() && *advanced) {
        FERRY_ASSIGN_OR_RETURN(set, epochs_.Load());
      }
    }
    std::vector<std::shared_ptr<const IndexView>> views(set.active.size());
    std::vector<Status> errors(set.active.size());
    {
      std::shared_lock<std::shared_mutex> lock(committed_mu_);
      for (size_t i = 0; i < set.active.size(); ++i) {
        auto it = index_cache_.find(set.active[i].id);
        if (it != index_cache_.end()) views[i] = it->second;
      }
    }
    // Fetch and decrypt missing index blobs on a few threads: index loading is I/O bound on S3.
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i = next++; i < set.active.size(); i = next++) {
        if (views[i]) continue;
        auto plain = GetEncryptedBlob(storage_, *format_.encryptor, set.active[i].id);
        if (!plain.ok()) {
          errors[i] = plain.status();
          continue;
        }
        auto view = IndexView::Parse(std::move(*plain), set.active[i].id, IndexSpill());
        if (!view.ok()) errors[i] = view.status();
        else views[i] = *view;
      }
    };
    size_t threads = std::min<size_t>(4, set.active.size());
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    std::vector<std::pair<std::string, Status>> unreadable;
    std::vector<std::shared_ptr<const IndexView>> usable;
    for (size_t i = 0; i < views.size(); ++i) {
      if (views[i]) {
        usable.push_back(std::move(views[i]));
      } else if (errors[i].code() == StatusCode::kCorruption || errors[i].code() == StatusCode::kNotFound) {
        // A damaged index blob (or one deleted by a concurrent cleanup) costs what it describes,
        // not the whole repository.
        unreadable.emplace_back(set.active[i].id, errors[i]);
      } else {
        return errors[i];  // I/O errors are not damage: fail rather than hide contents
      }
    }
    std::unique_lock<std::shared_mutex> lock(committed_mu_);
    unreadable_ = std::move(unreadable);
    committed_ = std::move(usable);
    watermark_ = set.deletion_watermark;
    for (const auto& v : committed_) index_cache_[v->name()] = v;
    return Status::OK();
  }

  Status IterateContents(bool include_deleted,
                         const std::function<Status(const ContentInfo&)>& visit) override {
    std::vector<std::shared_ptr<const IndexView>> views;
    int64_t watermark;
    {
      std::shared_lock<std::shared_mutex> lock(committed_mu_);
      views = committed_;
      watermark = watermark_;
    }
    std::map<ContentId, ContentInfo> pending;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto add = [&](const ContentInfo& e) {
        auto it = pending.find(e.id);
        if (it == pending.end() || InfoSupersedes(e, it->second)) pending[e.id] = e;
      };
      for (const auto& pack : open_) {
        if (!pack) continue;
        for (size_t i = 0; i < pack->entries.size(); ++i) add(ToInfo(pack->entries.at(i), pack->id));
      }
      auto add_local = [&](const IndexView& local) {
        return local.ForEach([&](const IndexEntry& e) {
          add(ToInfo(e));
          return Status::OK();
        });
      };
      for (const auto& [id, pack] : sealed_) {
        if (pack->local) {
          FERRY_RETURN_IF_ERROR(add_local(*pack->local));
        } else {
          for (size_t i = 0; i < pack->entries.size(); ++i) add(ToInfo(pack->entries.at(i), id));
        }
      }
      for (const auto& [id, uploaded] : uploaded_) FERRY_RETURN_IF_ERROR(add_local(*uploaded.local));
      for (const auto& [id, e] : pending_deletions_) add(e);
    }
    std::vector<IndexEntry> pending_entries;
    for (const auto& [id, e] : pending) pending_entries.push_back(FromInfo(e));
    return MergeViews(views, pending_entries, [&](const IndexEntry& e) -> Status {
      if (e.deleted && (!include_deleted || e.timestamp <= watermark)) return Status::OK();
      return visit(ToInfo(e));
    });
  }

  // k-way merge of sorted index views (and sorted extra entries) by content ID: visits the
  // winning entry of every ID (kopia's rule, §9.5), deleted ones included, in key order.
  static Status MergeViews(const std::vector<std::shared_ptr<const IndexView>>& views,
                           const std::vector<IndexEntry>& extra,
                           const std::function<Status(const IndexEntry&)>& visit) {
    struct Cursor {
      size_t view;  // views.size() = extra
      size_t pos;
      IndexEntry entry;
    };
    auto cmp = [](const Cursor& a, const Cursor& b) { return b.entry.id < a.entry.id; };
    std::priority_queue<Cursor, std::vector<Cursor>, decltype(cmp)> heap(cmp);
    auto push = [&](size_t v, size_t pos) -> Status {
      if (v == views.size()) {
        if (pos < extra.size()) heap.push({v, pos, extra[pos]});
        return Status::OK();
      }
      if (pos < views[v]->size()) {
        FERRY_ASSIGN_OR_RETURN(IndexEntry e, views[v]->EntryAt(pos));
        heap.push({v, pos, e});
      }
      return Status::OK();
    };
    for (size_t v = 0; v <= views.size(); ++v) FERRY_RETURN_IF_ERROR(push(v, 0));
    while (!heap.empty()) {
      Cursor best = heap.top();
      heap.pop();
      FERRY_RETURN_IF_ERROR(push(best.view, best.pos + 1));
      while (!heap.empty() && heap.top().entry.id == best.entry.id) {
        Cursor same = heap.top();
        heap.pop();
        FERRY_RETURN_IF_ERROR(push(same.view, same.pos + 1));
        if (Supersedes(same.entry, best.entry)) best = same;
      }
      FERRY_RETURN_IF_ERROR(visit(best.entry));
    }
    return Status::OK();
  }

  ContentStats stats() const override {
    std::lock_guard<std::mutex> lock(stats_mu_);
    return stats_;
  }
  const ContentFormat& format() const override { return format_; }
  std::vector<std::pair<std::string, Status>> unreadable_index_blobs() const override {
    std::shared_lock<std::shared_mutex> lock(committed_mu_);
    return unreadable_;
  }
  const std::string& session_id() const override { return session_id_; }

 private:
  // A window of a pack's bytes (see kWindowBytes).
  struct ReadWindow {
    std::string pack;
    int64_t offset = 0;
    Bytes bytes;
  };

  // Copies the content's sealed bytes into *sealed from a window of its pack, reading the window
  // first when none holds them. A pack's length (HEAD) is asked once, so a window stops at its end.
  Status ReadThroughWindow(const ContentInfo& info, Bytes* sealed) {
    const int64_t begin = info.pack_offset, end = begin + int64_t(info.packed_length);
    auto copy_from = [&](const ReadWindow& w) {
      sealed->assign(w.bytes.begin() + (begin - w.offset), w.bytes.begin() + (end - w.offset));
    };
    int64_t pack_length = -1;
    std::shared_ptr<const ReadWindow> hit;  // copied from outside the lock
    {
      std::lock_guard<std::mutex> lock(window_mu_);
      for (auto it = windows_.begin(); it != windows_.end(); ++it) {
        const ReadWindow& w = **it;
        if (w.pack == info.pack_blob_id && w.offset <= begin && end <= w.offset + int64_t(w.bytes.size())) {
          hit = *it;
          if (it != windows_.begin()) windows_.splice(windows_.begin(), windows_, it);
          break;
        }
      }
      if (!hit) {
        if (auto known = pack_lengths_.find(info.pack_blob_id); known != pack_lengths_.end()) pack_length = known->second;
      }
    }
    if (hit) {
      copy_from(*hit);
      return Status::OK();
    }
    if (pack_length < 0) {
      FERRY_ASSIGN_OR_RETURN(blob::BlobMetadata meta, storage_->GetMetadata(info.pack_blob_id));
      pack_length = meta.length;
      std::lock_guard<std::mutex> lock(window_mu_);
      if (pack_lengths_.size() >= 4096) pack_lengths_.clear();  // bounded; a miss costs one HEAD
      pack_lengths_[info.pack_blob_id] = pack_length;
    }
    const int64_t window_end = std::min(pack_length, begin + int64_t(kWindowBytes));
    if (window_end < end) {
      // The index says the content goes past the pack's end: the exact read reports it.
      return storage_->GetBlob(info.pack_blob_id, begin, int64_t(info.packed_length), sealed);
    }
    auto window = std::make_shared<ReadWindow>();
    window->pack = info.pack_blob_id;
    window->offset = begin;
    FERRY_RETURN_IF_ERROR(storage_->GetBlob(info.pack_blob_id, begin, window_end - begin, &window->bytes));
    copy_from(*window);
    std::lock_guard<std::mutex> lock(window_mu_);
    windows_.push_front(std::move(window));
    if (windows_.size() > kWindows) windows_.pop_back();
    return Status::OK();
  }

  Result<ContentId> Deduplicated(const ContentId& id, size_t size) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.deduplicated_contents++;
    stats_.deduplicated_bytes += size;
    return id;
  }

  Result<std::unique_ptr<Pack>> NewPack(char kind, size_t first_content) {
    auto pack = std::make_unique<Pack>();
    pack->entries = PackedEntries(1 + format_.hash->output_size());
    // Room for as many entries as the last pack of the class had, and a quarter more: a pack
    // of small files then never grows its entries by copying (which left the 512 KiB it grew
    // out of free in a heap arena), and reserved pages cost nothing until written.
    const size_t expected = last_pack_entries_[kind == 'q' ? 1 : 0];
    if (expected >= 4096) pack->entries.reserve(expected + expected / 4);
    uint8_t rnd[16];
    FERRY_RETURN_IF_ERROR(crypto::RandomBytes(MutableByteView(rnd, sizeof(rnd))));
    pack->id = std::string(1, kind) + HexEncode(ByteView(rnd, sizeof(rnd))) + "-" + session_id_;
    // Room for a full pack plus one content past the limit (kopia closes a pack once it reaches
    // the limit) — only the touched pages cost memory.
    pack->capacity = kPackPreambleSize + std::max<size_t>(size_t(format_.max_pack_size), first_content) +
                     first_content + (16 << 20);
    pack->buf.reset(new uint8_t[pack->capacity]);
    pack->size = kPackPreambleSize;
    FERRY_RETURN_IF_ERROR(crypto::RandomBytes(MutableByteView(pack->buf.get(), kPackPreambleSize)));
    if (streams_) {
      FERRY_ASSIGN_OR_RETURN(pack->writer, storage_->NewBlobWriter(pack->id, format_.put_options));
      FERRY_RETURN_IF_ERROR(pack->writer->Write(0, ByteView(pack->buf.get(), kPackPreambleSize)));
    }
    return pack;
  }

  // Stops appending to the open pack of class `cls`; it is uploaded by whoever finishes its last
  // reservation (added to *to_upload when that is now). Call with mu_ held.
  void SealLocked(int cls, std::vector<Pack*>* to_upload) {
    std::unique_ptr<Pack>& pack = open_[cls];
    if (!pack) return;
    if (pack->entries.empty()) {
      pack.reset();
      --packs_alive_[cls];
      pack_cv_.notify_all();
      return;
    }
    pack->sealed = true;
    last_pack_entries_[cls] = pack->entries.size();
    ++uploads_in_progress_;
    Pack* p = pack.get();
    sealed_[p->id] = std::move(pack);
    if (p->writers == 0) to_upload->push_back(p);
  }

  // Pads, appends the encrypted local index and the postamble, uploads. Runs without the lock.
  void FinishAndUpload(Pack* pack) {
    // No writer is left: what is not stored yet is the remaining contents, then the tail.
    Runs runs;
    if (pack->writer) {
      // Under the lock: GetContent reads entries that are not marked stored from buf.
      std::lock_guard<std::mutex> lock(mu_);
      runs = TakeRuns(pack);
    }
    Bytes local_plain;
    Status s = FinishPack(pack, &local_plain);
    if (s.ok()) {
      auto local = IndexView::Parse(std::move(local_plain), pack->id);
      if (local.ok()) {
        // Lookups read the entries under the lock.
        std::lock_guard<std::mutex> lock(mu_);
        pack->local = std::move(*local);
        pack->entries = PackedEntries(pack->entries.key_size());
        pack->ids = PackIdTable();
        std::vector<uint8_t>().swap(pack->state);
      } else {
        s = local.status();
      }
    }
    if (s.ok() && pack->writer) {
      s = pack->stream_error;
      if (s.ok()) s = StoreRuns(pack, runs);  // the tail is in the file already (FinishPack)
      if (s.ok()) s = pack->writer->Commit();
      pack->writer.reset();  // an uncommitted writer discards its temp file
    } else if (s.ok()) {
      blob::PutOptions put = format_.put_options;
      put.body_crc32c = PackCrc32c(pack);
      s = storage_->PutBlob(pack->id, pack->bytes(), put);
    }
    bool index_due = false;
    {
    std::lock_guard<std::mutex> lock(mu_);
    --packs_alive_[pack->id[0] == 'q' ? 1 : 0];
    pack_cv_.notify_all();
    if (s.ok()) {
      {
        std::lock_guard<std::mutex> slock(stats_mu_);
        stats_.packs_written++;
      }
      uploaded_entries_ += pack->local->size();
      uploaded_.insert_or_assign(pack->id, UploadedPack{pack->local});
      index_due = uploaded_entries_ >= kIndexFlushEntries;
    } else {
      // Nothing in this pack may be indexed; a later write of the same data stores it again
      // (its entries go with it).
      upload_error_ = s.WithContext("uploading pack " + pack->id);
    }
    sealed_.erase(pack->id);  // destroys the pack
    --uploads_in_progress_;
    uploaded_cv_.notify_all();
    }
    // Bound the pending index: write it now from this uploader's thread (unless another index
    // write is under way, which takes these entries too or leaves them for the next one).
    if (index_due && index_mu_.try_lock()) {
      Status w = WriteIndexLocked(/*with_deletions=*/false);
      index_mu_.unlock();
      if (!w.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        if (upload_error_.ok()) upload_error_ = w;
      }
    }
  }

  // Appends the tail: random padding, the pack-local index sealed straight into the pack's
  // buffer, the postamble. The only other memory is the index's plaintext, allocated once at
  // its final size (a copy per step cost ~4x the index, ~2.6 MB for a pack of 1 KiB contents,
  // at the moment a backup's memory peaks).
  // *local_plain gets the local index's plaintext.
  Status FinishPack(Pack* pack, Bytes* local_plain) {
    const size_t pad = PackPaddingLength(pack->size);
    constexpr size_t kRandomSuffix = 32;  // makes the sealed index's IV unpredictable
    std::vector<uint32_t> local(pack->entries.size());
    for (uint32_t i = 0; i < local.size(); ++i) local[i] = i;
    const PackedEntries& entries = pack->entries;
    FERRY_ASSIGN_OR_RETURN(
        Bytes plain,
        BuildIndex(
            &local, [&](uint32_t i) { return entries.id(i); },
            [&](uint32_t i) { return ToIndexEntry(entries.at(i), pack->id); }, format_.index_version, kRandomSuffix));
    std::vector<uint32_t>().swap(local);
    const size_t plain_len = plain.size();
    plain.resize(plain_len + kRandomSuffix);  // within the reserved capacity
    FERRY_RETURN_IF_ERROR(crypto::RandomBytes(MutableByteView(plain.data() + plain_len, kRandomSuffix)));
    Postamble post;
    post.local_index_iv = format_.hash->Hash(plain);
    post.local_index_offset = pack->size + pad;
    post.local_index_length = plain.size() + crypto::kEncryptionOverhead;
    Bytes postamble;
    FERRY_RETURN_IF_ERROR(AppendPostamble(post, &postamble));
    const size_t tail = pad + post.local_index_length + postamble.size();
    if (pack->writer) {
      // A streaming pack's tail goes straight to its file, the index sealed in pieces: its
      // buffer's pages are not touched for it (~0.65 MB for a pack of 1 KiB files, at the
      // moment its entries and the index's plaintext are both in memory).
      int64_t at = int64_t(pack->size);
      Bytes padding(pad);
      FERRY_RETURN_IF_ERROR(crypto::RandomBytes(padding));
      FERRY_RETURN_IF_ERROR(pack->writer->Write(at, padding));
      at += int64_t(pad);
      auto scratch = std::make_unique_for_overwrite<uint8_t[]>(kLocalIndexPieceBytes);
      FERRY_RETURN_IF_ERROR(format_.encryptor->EncryptInPieces(
          plain, post.local_index_iv, MutableByteView(scratch.get(), kLocalIndexPieceBytes), [&](ByteView piece) {
            Status w = pack->writer->Write(at, piece);
            at += int64_t(piece.size());
            return w;
          }));
      FERRY_RETURN_IF_ERROR(pack->writer->Write(at, postamble));
      pack->size += tail;
      plain.resize(plain_len);
      *local_plain = std::move(plain);
      return Status::OK();
    }
    if (pack->size + tail > pack->capacity) {
      // Rare: not enough room after the last content; move to a bigger buffer once.
      std::unique_ptr<uint8_t[]> bigger(new uint8_t[pack->size + tail]);
      std::memcpy(bigger.get(), pack->buf.get(), pack->size);
      pack->buf = std::move(bigger);
      pack->capacity = pack->size + tail;
    }
    uint8_t* at = pack->buf.get() + pack->size;
    FERRY_RETURN_IF_ERROR(crypto::RandomBytes(MutableByteView(at, pad)));
    FERRY_RETURN_IF_ERROR(format_.encryptor->EncryptInto(plain, post.local_index_iv,
                                                         MutableByteView(at + pad, post.local_index_length)));
    std::memcpy(at + pad + post.local_index_length, postamble.data(), postamble.size());
    pack->size += tail;
    plain.resize(plain_len);  // without the random bytes: the index itself
    *local_plain = std::move(plain);
    return Status::OK();
  }

  // Marks every ready entry of the pack stored and returns them as runs of adjacent entries.
  // Call with mu_ held.
  static Runs TakeRuns(Pack* pack) {
    Runs runs;
    while (pack->first_unstored < pack->entries.size() && pack->state[pack->first_unstored] == kStored) {
      ++pack->first_unstored;
    }
    for (size_t i = pack->first_unstored; i < pack->entries.size(); ++i) {
      if (pack->state[i] != kReady) continue;
      pack->state[i] = kStored;
      const size_t offset = pack->entries.pack_offset(i), length = pack->entries.packed_length(i);
      if (!runs.empty() && runs.back().second == offset) {
        runs.back().second += length;
      } else {
        runs.emplace_back(offset, offset + length);
      }
    }
    pack->ready_bytes = 0;
    return runs;
  }

  // When enough of a streaming pack is ready, hands it to the caller to store (as runs) and
  // marks the pack as streaming. Call with mu_ held; *runs stays empty when there is nothing to do.
  static void ClaimStreamRunsLocked(Pack* pack, Runs* runs) {
    if (!pack->writer || pack->streaming || !pack->stream_error.ok() || pack->ready_bytes < kStreamRunBytes) return;
    *runs = TakeRuns(pack);
    pack->streaming = !runs->empty();
  }

  // Gives back the pages at the edges of a stored range [from, to), which ReleasePages keeps
  // because neighbouring contents share them, once every content on them is stored: without
  // this, every run left a page behind (80 per pack of 256 KiB runs, 320 KiB). Call with mu_
  // held, after the range was written: contents are marked stored only once written (a run's
  // when its writer, the pack's only streaming thread, is done), and a content reserved on the
  // page meanwhile is not stored yet, so the page stays.
  void ReleaseEdgesLocked(Pack* pack, size_t from, size_t to) {
    static const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
    if (pack->state.empty() || to <= from) return;  // finished: the buffer goes with the pack
    const uintptr_t base = uintptr_t(pack->buf.get());
    const uintptr_t first = (base + from) & ~(page - 1), last = (base + to - 1) & ~(page - 1);
    for (uintptr_t p : {first, last}) {
      const bool inside = p >= base + from && p + page <= base + to;  // ReleasePages had it
      // Only pages wholly inside the buffer (its first one holds malloc's header).
      if (inside || p < base || p + page > base + pack->capacity) continue;
      const size_t start = p - base;
      // The entries on [start, start + page): from the first that ends after start.
      size_t lo = 0, hi = pack->entries.size();
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pack->entries.pack_offset(mid) + pack->entries.packed_length(mid) <= start) lo = mid + 1;
        else hi = mid;
      }
      bool all_stored = true;
      for (size_t i = lo; i < pack->entries.size() && pack->entries.pack_offset(i) < start + page; ++i) {
        if (pack->state[i] != kStored) {
          all_stored = false;
          break;
        }
      }
      if (all_stored) ::madvise(reinterpret_cast<void*>(p), page, MADV_DONTNEED);
      if (first == last) break;
    }
  }

  // Writes the runs, then gives their pages back. Runs without the lock.
  Status StoreRuns(Pack* pack, const Runs& runs) {
    for (const auto& [from, to] : runs) {
      FERRY_RETURN_IF_ERROR(pack->writer->Write(int64_t(from), ByteView(pack->buf.get() + from, to - from)));
      ReleasePages(pack->buf.get(), from, to);
    }
    return Status::OK();
  }

  // Whether the content at `offset` of an unuploaded pack can be read from its buffer.
  static bool InMemoryLocked(const Pack& pack, uint32_t offset) {
    // Entries are in offset order: the first at or after `offset`.
    size_t lo = 0, hi = pack.entries.size();
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (pack.entries.pack_offset(mid) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo < pack.entries.size() && pack.state[lo] != kStored;
  }

  // Where `id` is pending and live: in an open, sealed or uploaded-but-unindexed pack. A live ID
  // is in at most one of them (a write skips what is pending). Call with mu_ held.
  struct PendingHit {
    const std::string* pack_id;
    PendingEntry entry;
    bool readable;  // false while another writer is still encrypting it
  };
  std::optional<PendingHit> FindPendingHitLocked(const ContentId& id) const {
    auto probe = [&](const std::string& pack_id, const PackedEntries& entries, const PackIdTable& ids,
                     const std::vector<uint8_t>* state) -> std::optional<PendingHit> {
      std::optional<uint32_t> i = ids.Find(id, KeyOf(entries));
      if (!i) return std::nullopt;
      return PendingHit{&pack_id, entries.at(*i), !state || (*state)[*i] != kReserved};
    };
    // A finished pack's local index holds its entries (deleted ones too: not live).
    auto probe_local = [&](const std::string& pack_id, const IndexView& local) -> std::optional<PendingHit> {
      IndexEntry e;
      auto found = local.Find(id, &e);
      if (!found.ok() || !*found || e.deleted) return std::nullopt;
      return PendingHit{&pack_id, FromIndexEntry(e), true};
    };
    for (const auto& pack : open_) {
      if (!pack) continue;
      if (auto hit = probe(pack->id, pack->entries, pack->ids, &pack->state)) return hit;
    }
    for (const auto& [pack_id, pack] : sealed_) {
      auto hit = pack->local ? probe_local(pack_id, *pack->local) : probe(pack_id, pack->entries, pack->ids, &pack->state);
      if (hit) return hit;
    }
    for (const auto& [pack_id, uploaded] : uploaded_) {
      if (auto hit = probe_local(pack_id, *uploaded.local)) return hit;
    }
    return std::nullopt;
  }

  // The pending entry of `id` (a deletion or undeletion, or a live write), if any and readable.
  std::optional<ContentInfo> FindPendingLocked(const ContentId& id) const {
    auto del = pending_deletions_.find(id);
    if (del != pending_deletions_.end()) return del->second;
    std::optional<PendingHit> hit = FindPendingHitLocked(id);
    if (!hit || !hit->readable) return std::nullopt;
    return ToInfo(hit->entry, *hit->pack_id);
  }

  // Pending index-only entries (deletions and undeletions) decide; otherwise a pending write.
  bool IsPresentPendingLocked(const ContentId& id) const {
    auto it = pending_deletions_.find(id);
    if (it != pending_deletions_.end()) return !it->second.deleted;
    return FindPendingHitLocked(id).has_value();
  }

  const Pack* FindUnuploadedPackLocked(const std::string& pack_id) const {
    for (const auto& pack : open_) {
      if (pack && pack->id == pack_id) return pack.get();
    }
    auto it = sealed_.find(pack_id);
    return it == sealed_.end() ? nullptr : it->second.get();
  }

  // The effective committed entry: greatest across index blobs; hidden if deleted at or below
  // the deletion watermark. An error only if a spilled index view cannot be read back.
  Result<std::optional<ContentInfo>> LookupCommitted(const ContentId& id) const {
    std::shared_lock<std::shared_mutex> lock(committed_mu_);
    bool found = false;
    IndexEntry best, e;
    for (const auto& view : committed_) {
      FERRY_ASSIGN_OR_RETURN(bool in_view, view->Find(id, &e));
      if (in_view && (!found || Supersedes(e, best))) {
        best = e;
        found = true;
      }
    }
    if (!found || (best.deleted && best.timestamp <= watermark_)) return std::optional<ContentInfo>();
    return std::optional<ContentInfo>(ToInfo(best));
  }

  // The spill file of large index views (created at the first one; nullptr if that failed: the
  // views then stay in memory).
  std::shared_ptr<IndexSpillFile> IndexSpill() {
    if (options_.index_spill_min_entries == 0) return nullptr;
    std::lock_guard<std::mutex> lock(spill_mu_);
    if (!spill_ && !spill_failed_) {
      auto created = IndexSpillFile::Create(options_.index_spill_dir, options_.index_spill_min_entries);
      if (created.ok()) spill_ = *created;
      else spill_failed_ = true;
    }
    return spill_;
  }

  Status DecodeContent(const ContentInfo& info, ByteView sealed, Bytes* out) {
    if (info.packed_length != sealed.size()) {
      return Status::Corruption("content " + info.id.ToString() + " in pack " + info.pack_blob_id +
                                " has the wrong length");
    }
    auto failed = [&] {
      return Status::Corruption("content " + info.id.ToString() + " in pack " + info.pack_blob_id +
                                " failed authentication (corrupt data or wrong key)");
    };
    if (info.compression_header == 0) {
      // Straight into the caller's buffer (Decrypt leaves it empty unless it authenticates).
      if (!format_.encryptor->Decrypt(sealed, info.id.PackIv(), out).ok()) return failed();
      return Status::OK();
    }
    thread_local Bytes plain;
    if (!format_.encryptor->Decrypt(sealed, info.id.PackIv(), &plain).ok()) return failed();
    Status s;
    s = compression::Decompress(plain, out, std::max<size_t>(info.original_length, 1) + 64);
    if (!s.ok()) {
      return Status::Corruption("content " + info.id.ToString() + " in pack " + info.pack_blob_id +
                                " cannot be decompressed: " + s.message());
    }
    return Status::OK();
  }

  blob::Storage* storage_;
  ContentFormat format_;
  ContentManagerOptions options_;
  EpochManager epochs_;
  std::string session_id_;

  mutable std::shared_mutex committed_mu_;
  std::vector<std::shared_ptr<const IndexView>> committed_;
  std::map<std::string, std::shared_ptr<const IndexView>> index_cache_;
  std::vector<std::pair<std::string, Status>> unreadable_;
  int64_t watermark_ = 0;
  std::mutex spill_mu_;
  std::shared_ptr<IndexSpillFile> spill_;
  bool spill_failed_ = false;

  mutable std::mutex mu_;
  std::unique_ptr<Pack> open_[2];                                 // p, q
  std::map<std::string, std::unique_ptr<Pack>> sealed_;           // sealed, not yet uploaded
  struct UploadedPack {
    std::shared_ptr<const IndexView> local;  // the pack's local index
  };
  std::map<std::string, UploadedPack> uploaded_;  // stored, not yet indexed
  size_t uploaded_entries_ = 0;                   // their entries
  std::mutex index_mu_;  // serialises index blob writes
  // Index-only entries (deletions and undeletions) waiting for the next Flush.
  std::map<ContentId, ContentInfo> pending_deletions_;
  int uploads_in_progress_ = 0;
  // Two packs per class (one filling while the other is uploaded). With a streaming store each
  // costs only its contents in flight; otherwise (S3) 20 MiB each, which keeps uploads
  // overlapped with encryption.
  static constexpr int kMaxPacksAlive = 2;
  const bool streams_;  // storage_->streams_writes(): packs go to the store as they fill
  const bool windowed_reads_;  // storage_->small_reads_are_costly(): ReadThroughWindow
  std::mutex window_mu_;
  std::list<std::shared_ptr<const ReadWindow>> windows_;  // most recent first
  std::unordered_map<std::string, int64_t> pack_lengths_;  // for windows' ends
  int packs_alive_[2] = {0, 0};
  size_t last_pack_entries_[2] = {0, 0};  // per class, for NewPack's reservation
  std::condition_variable pack_cv_;
  std::condition_variable uploaded_cv_;
  Status upload_error_;
  ContentStats stats_;
  mutable std::mutex stats_mu_;
};

}  // namespace

Result<std::unique_ptr<ContentManager>> ContentManager::Open(blob::Storage* storage,
                                                             ContentFormat format,
                                                             ContentManagerOptions options) {
  if (!format.hash || !format.encryptor) return Status::InvalidArgument("content format needs a hash and an encryptor");
  if (format.index_version != 1 && format.index_version != 2) {
    return Status::Unsupported("index version " + std::to_string(format.index_version) + " is not supported");
  }
  auto cm = std::make_unique<ContentManagerImpl>(storage, std::move(format), std::move(options));
  FERRY_RETURN_IF_ERROR(cm->Init());
  return std::unique_ptr<ContentManager>(std::move(cm));
}

}  // namespace ferry::content
