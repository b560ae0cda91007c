// Human-readable sizes as kopia prints them: base 10 ("1.2 GB") unless
// KOPIA_BYTES_STRING_BASE_2 (or FERRY_BYTES_STRING_BASE_2) asks for base 2 ("1.1 GiB").
#pragma once

#include <string>

namespace ferry::cli {

std::string BytesStringBase10(double bytes);
std::string BytesStringBase2(double bytes);
std::string BytesString(double bytes);

}  // namespace ferry::cli
