# The layers of src/: one static library per folder, migrate_<folder>, whose
# include root is a directory staged in the build tree that holds only that
# layer's headers (layers/<folder>/<folder> -> src/<folder>, and its share of
# include/migrate as per-header links). A target sees the headers of its own
# layer and of the layers it links, so `#include "backup/store.h"` in
# src/drivers fails with "No such file or directory".
#
# include/migrate's headers belong to core unless listed here.
set(MIGRATE_LAYERS_DIR "${CMAKE_BINARY_DIR}/layers")
set(MIGRATE_UTIL_HEADERS error.h byte_stream.h log_level.h)
set(MIGRATE_ENGINE_HEADERS engine.h)

# The public headers (include/migrate) of `layer`, as names.
function(migrate_public_headers layer out)
  file(GLOB all RELATIVE "${PROJECT_SOURCE_DIR}/include/migrate" CONFIGURE_DEPENDS
       "${PROJECT_SOURCE_DIR}/include/migrate/*.h")
  if(layer STREQUAL "util")
    set(mine ${MIGRATE_UTIL_HEADERS})
  elseif(layer STREQUAL "engine")
    set(mine ${MIGRATE_ENGINE_HEADERS})
  elseif(layer STREQUAL "core")
    set(mine ${all})
    list(REMOVE_ITEM mine ${MIGRATE_UTIL_HEADERS} ${MIGRATE_ENGINE_HEADERS})
  else()
    set(mine "")
  endif()
  list(FILTER mine INCLUDE REGEX ".")
  set(existing "")
  foreach(header ${mine})
    if(header IN_LIST all)
      list(APPEND existing ${header})
    endif()
  endforeach()
  set(${out} ${existing} PARENT_SCOPE)
endfunction()

# Builds layers/<layer>/ afresh: <layer> -> src/<layer>, migrate/<header> -> include/migrate/<header>.
function(migrate_stage_layer layer)
  set(dir "${MIGRATE_LAYERS_DIR}/${layer}")
  file(REMOVE_RECURSE "${dir}")
  file(MAKE_DIRECTORY "${dir}")
  file(CREATE_LINK "${PROJECT_SOURCE_DIR}/src/${layer}" "${dir}/${layer}" SYMBOLIC)
  migrate_public_headers(${layer} headers)
  if(headers)
    file(MAKE_DIRECTORY "${dir}/migrate")
    foreach(header ${headers})
      file(CREATE_LINK "${PROJECT_SOURCE_DIR}/include/migrate/${header}" "${dir}/migrate/${header}"
           SYMBOLIC)
    endforeach()
  endif()
endfunction()

# migrate_<layer>: the sources of src/<layer>/**, with the staged include root.
function(migrate_layer layer)
  migrate_stage_layer(${layer})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/src/${layer}/*.cc")
  add_library(migrate_${layer} STATIC ${sources})
  target_include_directories(migrate_${layer} PUBLIC "${MIGRATE_LAYERS_DIR}/${layer}")
  migrate_warnings(migrate_${layer})
endfunction()
