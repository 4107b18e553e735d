# Finds SOCI (Debian's libsoci-dev ships no CMake config) and defines
# SOCI::core and SOCI::<backend> for the backends that are present.
find_path(SOCI_INCLUDE_DIR soci/soci.h)
find_library(SOCI_CORE_LIBRARY soci_core)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SOCI DEFAULT_MSG SOCI_CORE_LIBRARY SOCI_INCLUDE_DIR)

if(SOCI_FOUND AND NOT TARGET SOCI::core)
  add_library(SOCI::core UNKNOWN IMPORTED)
  set_target_properties(SOCI::core PROPERTIES
    IMPORTED_LOCATION "${SOCI_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}")
  foreach(backend sqlite3 postgresql mysql)
    find_library(SOCI_${backend}_LIBRARY soci_${backend})
    if(SOCI_${backend}_LIBRARY)
      add_library(SOCI::${backend} UNKNOWN IMPORTED)
      set_target_properties(SOCI::${backend} PROPERTIES
        IMPORTED_LOCATION "${SOCI_${backend}_LIBRARY}"
        INTERFACE_LINK_LIBRARIES SOCI::core)
    endif()
  endforeach()
endif()
