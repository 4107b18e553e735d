# MIGRATE_FUZZ: the libFuzzer targets of tests/fuzz (scripts/fuzz.sh). They
# need clang (CC=clang CXX=clang++) and are built into a directory of their
# own; `cmake --build <dir> --target fuzz` builds only them.
#
# The targets exercise the parsers that read what a user or another program
# wrote (URLs, .env and migrate.toml, migration SQL, manifests, dumps,
# encrypted artifacts). Those sources need no database client library, so
# they are compiled again here, instrumented for the fuzzer, instead of
# building the whole library with clang.
option(MIGRATE_FUZZ "Build the libFuzzer targets of tests/fuzz (clang only)" OFF)

if(MIGRATE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MIGRATE_FUZZ needs clang: configure with CC=clang CXX=clang++")
  endif()
  set(MIGRATE_FUZZ_SANITIZE "address,undefined" CACHE STRING
      "Sanitizers the fuzz targets run under, besides the fuzzer itself")
  add_subdirectory(tests/fuzz)
endif()
