// The bytes of one manifest content (kopia-format.md §12; kopia's repo/manifest/serialized.go and
// committed_manifest_manager.go). Content prefix `m`; plaintext = gzip of
//
//   {"entries":[{"id":"<32 hex>","labels":{"hostname":"h","type":"snapshot"},
//                "modified":"2022-10-04T12:00:00.5Z","data":{…}}, …]}\n
//
// (the newline is json.Encoder's, inside the gzip stream). Entry fields in this order; `deleted`
// (`"deleted":true`, between `modified` and `data`) only on deletion markers, which carry
// `"labels":null` and `"data":null`. Labels are written sorted by key, like Go's map encoding.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::manifest {

struct ManifestEntry {
  std::string id;
  std::map<std::string, std::string> labels;  // empty is written as null
  int64_t modified = 0;                       // Unix nanoseconds
  bool deleted = false;
  // Compact JSON text of the payload. Decoding keeps key order and values, though numbers are
  // re-printed (1.10 becomes 1.1; integers beyond 64 bits lose precision).
  std::string data = "null";
};

// The JSON document (newline included) for these entries, in the order given.
std::string SerializeManifestJson(const std::vector<const ManifestEntry*>& entries);

// gzip(SerializeManifestJson(entries)): the plaintext of an `m` content.
Result<Bytes> EncodeManifestContent(const std::vector<const ManifestEntry*>& entries);

// Inverse of EncodeManifestContent, tolerant like Go's decoder: unknown fields are ignored, field
// names match case-insensitively, `labels`/`data` may be missing or null, `modified` may carry any
// offset (times beyond int64 nanoseconds, such as Go's zero time, saturate). Anything else —
// not gzip, not JSON, wrong types, an entry without an ID — is Corruption naming `content_id`.
Result<std::vector<ManifestEntry>> DecodeManifestContent(ByteView plaintext,
                                                         std::string_view content_id);

}  // namespace ferry::manifest
