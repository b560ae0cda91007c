// Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity) for volume sizes:
// "10Gi", "500M", "1.5Ti", "1e9", "128974848". Binary suffixes Ki Mi Gi Ti Pi Ei (powers of
// 1024), decimal suffixes k M G T P E (powers of 1000) and m (1/1000), an optional decimal
// exponent (e/E). Byte counts are rounded up, as Kubernetes rounds storage requests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ferry::volume {

// InvalidArgument naming the text for anything else (negative values, unknown suffixes,
// values beyond int64).
Result<int64_t> ParseQuantity(std::string_view text);

// The canonical short form of a byte count: the largest binary suffix that divides it exactly
// ("10Gi", "1536Mi"), otherwise the plain number.
std::string FormatQuantity(int64_t bytes);

}  // namespace ferry::volume
