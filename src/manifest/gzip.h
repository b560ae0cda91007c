// gzip (RFC 1952) of whole buffers, the envelope of manifest contents (kopia writes them with
// Go's compress/gzip, independent of the content layer's compression).
#pragma once

#include <cstddef>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::manifest {

// One gzip member, default level.
Result<Bytes> GzipCompress(ByteView data);

// Accepts one or more concatenated members (as Go's gzip.Reader does). Anything that is not
// gzip, is truncated, fails its CRC, or inflates beyond max_output is Status::Corruption.
Result<Bytes> GzipDecompress(ByteView data, size_t max_output = size_t{1} << 30);

}  // namespace ferry::manifest
