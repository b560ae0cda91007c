#include "content/session.h"

#include <cstdio>

#include "base/bytes.h"
#include "crypto/encryption.h"

namespace ferry::content {

namespace {
constexpr int64_t kEpoch2000 = 946684800;  // 2000-01-01T00:00:00Z
constexpr int64_t kThirtyDays = 30 * 24 * 3600;
}  // namespace

std::string SessionMonthSuffix(int64_t now) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>((now - kEpoch2000) / kThirtyDays));
  return buf;
}

std::string NewSessionId(int64_t now) {
  uint8_t rnd[8];
  if (!crypto::RandomBytes(MutableByteView(rnd, sizeof(rnd))).ok()) {
    // RAND_bytes cannot fail on Linux once seeded; fall back to a time-derived value rather than
    // abort, since a session ID only needs to be unique, not secret.
    for (int i = 0; i < 8; ++i) rnd[i] = uint8_t(now >> (8 * i)) ^ uint8_t(i * 37);
  }
  return "s" + HexEncode(ByteView(rnd, sizeof(rnd))) + SessionMonthSuffix(now);
}

}  // namespace ferry::content
