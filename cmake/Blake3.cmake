# BLAKE3: prefer a system libblake3; otherwise compile the official C sources that Debian's
# librust-blake3-dev installs under the cargo registry, with their x86-64 assembly kernels
# (runtime dispatch picks SSE2/SSE4.1/AVX2/AVX-512 on the machine it runs on).
find_library(BLAKE3_SYSTEM_LIBRARY NAMES blake3)
find_path(BLAKE3_SYSTEM_INCLUDE NAMES blake3.h)
if(BLAKE3_SYSTEM_LIBRARY AND BLAKE3_SYSTEM_INCLUDE)
  add_library(ferry_blake3 INTERFACE)
  target_link_libraries(ferry_blake3 INTERFACE ${BLAKE3_SYSTEM_LIBRARY})
  target_include_directories(ferry_blake3 INTERFACE ${BLAKE3_SYSTEM_INCLUDE})
  message(STATUS "BLAKE3: system library ${BLAKE3_SYSTEM_LIBRARY}")
else()
  file(GLOB BLAKE3_DIRS LIST_DIRECTORIES true /usr/share/cargo/registry/blake3-*/c)
  list(SORT BLAKE3_DIRS COMPARE NATURAL ORDER DESCENDING)
  list(GET BLAKE3_DIRS 0 BLAKE3_C_DIR)
  if(NOT EXISTS "${BLAKE3_C_DIR}/blake3.c")
    message(FATAL_ERROR "BLAKE3 C sources not found: install librust-blake3-dev (scripts/setup.sh does)")
  endif()
  message(STATUS "BLAKE3: compiling official C sources from ${BLAKE3_C_DIR}")
  set(BLAKE3_SOURCES ${BLAKE3_C_DIR}/blake3.c ${BLAKE3_C_DIR}/blake3_dispatch.c
      ${BLAKE3_C_DIR}/blake3_portable.c)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    list(APPEND BLAKE3_SOURCES
         ${BLAKE3_C_DIR}/blake3_sse2_x86-64_unix.S ${BLAKE3_C_DIR}/blake3_sse41_x86-64_unix.S
         ${BLAKE3_C_DIR}/blake3_avx2_x86-64_unix.S ${BLAKE3_C_DIR}/blake3_avx512_x86-64_unix.S)
  else()
    set(BLAKE3_PORTABLE_DEFS BLAKE3_NO_SSE2 BLAKE3_NO_SSE41 BLAKE3_NO_AVX2 BLAKE3_NO_AVX512)
  endif()
  add_library(ferry_blake3 STATIC ${BLAKE3_SOURCES})
  target_include_directories(ferry_blake3 SYSTEM PUBLIC ${BLAKE3_C_DIR})
  target_compile_definitions(ferry_blake3 PRIVATE ${BLAKE3_PORTABLE_DEFS})
  set_target_properties(ferry_blake3 PROPERTIES POSITION_INDEPENDENT_CODE ON)
endif()
