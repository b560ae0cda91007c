// "Encrypted blobs" (kopia-format.md §5.2): index blobs, session markers and logs are stored
// whole as prefix + hex(hash(plaintext)) [+ "-" + suffix], encrypted with an IV taken from the
// blob's own name, so a reader needs only the name to decrypt.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "blob/storage.h"
#include "crypto/encryption.h"
#include "crypto/hashing.h"

namespace ferry::content {

// The IV of an encrypted blob: the last 32 hex characters before the first '-' (or of the whole
// ID when there is none), hex-decoded. Corruption if the name does not have them.
Result<Bytes> IvFromBlobId(std::string_view blob_id);

// Name for `plaintext`: prefix + hex(hash) + ("-" + suffix if suffix is not empty).
std::string EncryptedBlobId(const crypto::HashFunction& hash, std::string_view prefix,
                            ByteView plaintext, std::string_view suffix);

// Encrypts and stores; returns the blob ID.
Result<std::string> PutEncryptedBlob(blob::Storage* storage, const crypto::HashFunction& hash,
                                     const crypto::Encryptor& encryptor, std::string_view prefix,
                                     std::string_view suffix, ByteView plaintext,
                                     const blob::PutOptions& options = {});

// Reads and decrypts; Corruption naming the blob when authentication fails.
Result<Bytes> GetEncryptedBlob(blob::Storage* storage, const crypto::Encryptor& encryptor,
                               std::string_view blob_id);
// Decrypts bytes already read.
Result<Bytes> DecryptBlob(const crypto::Encryptor& encryptor, std::string_view blob_id,
                          ByteView sealed);

}  // namespace ferry::content
