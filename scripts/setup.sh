#!/usr/bin/env bash
# Installs the Debian packages that ferry's build, tests and benchmarks need.
# Idempotent: installs only what is missing, and prints nothing when nothing is.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libssl-dev            # AES-GCM, ChaCha20-Poly1305, SHA-2/3, HMAC, HKDF, scrypt, PBKDF2, BLAKE2
  librust-blake3-dev    # the official BLAKE3 C sources (compiled by CMake)
  libb2-dev             # BLAKE2 with SIMD kernels (measured against OpenSSL, see docs/algorithms.md)
  libzstd-dev liblz4-dev zlib1g-dev libsnappy-dev
  nlohmann-json3-dev
  libcurl4-openssl-dev  # S3 backend: HTTP(S) with connection reuse (SigV4 is ferry's own, docs/s3.md)
  libsqlite3-dev        # the embedded resource store of the control plane (WAL, shared by processes)
  libyaml-cpp-dev       # kubectl-style YAML manifests (ferry apply -f)
  xfsprogs              # reflink snapshots of local volumes are tested on an XFS loop image
  libgtest-dev libgmock-dev libbenchmark-dev
  python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or a first install attempt fails.
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/ferry-setup.log 2>&1; then
  $SUDO apt-get update -qq >>/tmp/ferry-setup.log 2>&1
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/ferry-setup.log 2>&1 || {
    echo "setup: apt-get install failed, see /tmp/ferry-setup.log" >&2; tail -20 /tmp/ferry-setup.log >&2; exit 1; }
fi
