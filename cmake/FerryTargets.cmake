# Helpers so that every folder declares its library, tests and benchmarks the same way.

# ferry_library(NAME SOURCES ... DEPS ...): a static library of one layer.
function(ferry_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${FERRY_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# ferry_test(NAME SOURCES ... DEPS ... [ASAN]): a GoogleTest executable registered with CTest.
# ASAN builds the test (and the sources listed with it) with AddressSanitizer and UBSan.
function(ferry_test name)
  if(NOT FERRY_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "ASAN" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${FERRY_WARNINGS})
  target_compile_definitions(${name} PRIVATE
    FERRY_SOURCE_DIR="${PROJECT_SOURCE_DIR}" FERRY_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared")
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main Threads::Threads)
  if(ARG_ASAN)
    target_compile_options(${name} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -O1)
    target_link_options(${name} PRIVATE -fsanitize=address,undefined)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ENVIRONMENT
    "FERRY_BUILD_DIR=${PROJECT_BINARY_DIR}")
endfunction()

# ferry_benchmark(NAME SOURCES ... DEPS ...): a Google Benchmark executable (not run by ctest).
function(ferry_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${FERRY_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark Threads::Threads)
endfunction()
