# MIGRATE_SANITIZE: builds every target (library, executable, tests) with the
# given sanitizers, e.g. -DMIGRATE_SANITIZE=address,undefined. Any finding
# aborts the process (no recovery), so a test that trips one fails instead of
# printing a report that nobody reads. Frame pointers and line tables keep the
# reports' stacks readable without a full debug build.
set(MIGRATE_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined (empty: none)")

if(MIGRATE_SANITIZE)
  set(_migrate_sanitize_flags -fsanitize=${MIGRATE_SANITIZE} -fno-sanitize-recover=all
                              -fno-omit-frame-pointer)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    list(APPEND _migrate_sanitize_flags -g1)
  else()
    list(APPEND _migrate_sanitize_flags -gline-tables-only)
  endif()
  set(_migrate_sanitize_link -fsanitize=${MIGRATE_SANITIZE})
  if(MIGRATE_SANITIZE MATCHES "undefined")
    # The vptr check needs the type info of every class the code casts to;
    # the SOCI libraries do not export their backends' (static_cast of
    # get_backend() in the drivers), so it could not link.
    list(APPEND _migrate_sanitize_flags -fno-sanitize=vptr)
    list(APPEND _migrate_sanitize_link -fno-sanitize=vptr)
  endif()
  add_compile_options(${_migrate_sanitize_flags})
  add_link_options(${_migrate_sanitize_link})
  message(STATUS "migrate: building with -fsanitize=${MIGRATE_SANITIZE}")
endif()
