# Turns templates/*.sql into a header of string constants so the default
# templates are compiled into the binary. Run with -DTEMPLATE_DIR
# and -DOUTPUT.
file(GLOB templates "${TEMPLATE_DIR}/*.sql")
set(body "// Generated from templates/ by cmake/EmbedTemplates.cmake; do not edit.\n#pragma once\n#include <string_view>\nnamespace migrate::embedded {\n")
foreach(path IN LISTS templates)
  get_filename_component(name "${path}" NAME_WE)
  file(READ "${path}" content)
  string(APPEND body "inline constexpr std::string_view k_${name}_template = R\"migrate_template(${content})migrate_template\";\n")
endforeach()
string(APPEND body "}  // namespace migrate::embedded\n")
file(WRITE "${OUTPUT}.tmp" "${body}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
