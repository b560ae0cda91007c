#include "content/encrypted_blob.h"

#include <memory>

namespace ferry::content {

namespace {
constexpr size_t kStreamedBlobMinBytes = 64 << 10;
constexpr size_t kStreamedBlobPieceBytes = 64 << 10;  // per call: not kept by any thread
}  // namespace

Result<Bytes> IvFromBlobId(std::string_view blob_id) {
  std::string_view head = blob_id.substr(0, blob_id.find('-'));
  if (head.size() < 32) {
    return Status::Corruption("blob " + std::string(blob_id) + " has no encryption IV in its name");
  }
  auto iv = HexDecode(head.substr(head.size() - 32));
  if (!iv.ok()) {
    return Status::Corruption("blob " + std::string(blob_id) + " has no encryption IV in its name");
  }
  return iv;
}

std::string EncryptedBlobId(const crypto::HashFunction& hash, std::string_view prefix,
                            ByteView plaintext, std::string_view suffix) {
  uint8_t digest[crypto::kMaxHashSize];
  hash.Hash(plaintext, digest);
  std::string id(prefix);
  id += HexEncode(ByteView(digest, hash.output_size()));
  if (!suffix.empty()) {
    id += '-';
    id += suffix;
  }
  return id;
}

Result<std::string> PutEncryptedBlob(blob::Storage* storage, const crypto::HashFunction& hash,
                                     const crypto::Encryptor& encryptor, std::string_view prefix,
                                     std::string_view suffix, ByteView plaintext,
                                     const blob::PutOptions& options) {
  std::string id = EncryptedBlobId(hash, prefix, plaintext, suffix);
  FERRY_ASSIGN_OR_RETURN(Bytes iv, IvFromBlobId(id));
  if (storage->streams_writes() && plaintext.size() >= kStreamedBlobMinBytes) {
    // Sealed in cache-sized pieces straight to the store: no second, encrypted copy of a large
    // index blob in memory (a backup's index blob of 19 600 entries is ~0.65 MB, written when
    // the backup's memory peaks; a compacted one of a million entries ~33 MB).
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<blob::BlobWriter> writer, storage->NewBlobWriter(id, options));
    auto scratch = std::make_unique_for_overwrite<uint8_t[]>(kStreamedBlobPieceBytes);
    int64_t at = 0;
    FERRY_RETURN_IF_ERROR(encryptor.EncryptInPieces(plaintext, iv, MutableByteView(scratch.get(), kStreamedBlobPieceBytes),
                                                    [&](ByteView piece) {
                                                      Status w = writer->Write(at, piece);
                                                      at += int64_t(piece.size());
                                                      return w;
                                                    }));
    FERRY_RETURN_IF_ERROR(writer->Commit());
    return id;
  }
  Bytes sealed;
  FERRY_RETURN_IF_ERROR(encryptor.Encrypt(plaintext, iv, &sealed));
  FERRY_RETURN_IF_ERROR(storage->PutBlob(id, sealed, options));
  return id;
}

Result<Bytes> DecryptBlob(const crypto::Encryptor& encryptor, std::string_view blob_id,
                          ByteView sealed) {
  FERRY_ASSIGN_OR_RETURN(Bytes iv, IvFromBlobId(blob_id));
  Bytes plain;
  Status s = encryptor.Decrypt(sealed, iv, &plain);
  if (!s.ok()) {
    return Status::Corruption("blob " + std::string(blob_id) + " cannot be decrypted (" +
                              s.message() + ")");
  }
  return plain;
}

Result<Bytes> GetEncryptedBlob(blob::Storage* storage, const crypto::Encryptor& encryptor,
                               std::string_view blob_id) {
  Bytes sealed;
  FERRY_RETURN_IF_ERROR(storage->GetBlob(blob_id, 0, -1, &sealed));
  return DecryptBlob(encryptor, blob_id, sealed);
}

}  // namespace ferry::content
