# pgorm_generate(TARGET <target> SCHEMA <file-or-dir>... QUERIES <file-or-dir>... OUTPUT <header>
#                [NAMESPACE <ns>] [DATABASE_URL <url>])
#
# Runs pgorm-gen whenever the schema or the queries change and makes <target> depend on the
# generated header; the header's folder is added to <target>'s include path. Folders are
# expanded to their *.sql files for dependency tracking (re-run CMake when you add a file).
#
#   pgorm_generate(TARGET app SCHEMA schema.sql QUERIES queries.sql OUTPUT db/queries.hpp NAMESPACE app::db)
#
# The generator is the pgorm-gen target when it is part of this build (pgorm as a subdirectory or
# FetchContent: built on demand even with PGORM_BUILD_TOOLS off), else PGORM_GEN_EXECUTABLE when set, else the installed pgorm::gen that
# find_package(pgorm) imports, else pgorm-gen found on PATH.
function(pgorm_generate)
  cmake_parse_arguments(PG "" "TARGET;OUTPUT;NAMESPACE;DATABASE_URL" "SCHEMA;QUERIES" ${ARGN})
  if(NOT PG_TARGET OR NOT PG_SCHEMA OR NOT PG_QUERIES OR NOT PG_OUTPUT)
    message(FATAL_ERROR "pgorm_generate: TARGET, SCHEMA, QUERIES and OUTPUT are required")
  endif()
  if(NOT PG_NAMESPACE)
    set(PG_NAMESPACE db)
  endif()
  if(TARGET pgorm-gen)
    set(gen $<TARGET_FILE:pgorm-gen>)
    set(gen_dep pgorm-gen)
  elseif(NOT PGORM_GEN_EXECUTABLE AND TARGET pgorm::gen)
    set(gen $<TARGET_FILE:pgorm::gen>)
    set(gen_dep $<TARGET_FILE:pgorm::gen>)
  else()
    if(NOT PGORM_GEN_EXECUTABLE)
      find_program(PGORM_GEN_EXECUTABLE pgorm-gen)
    endif()
    if(NOT PGORM_GEN_EXECUTABLE)
      message(FATAL_ERROR "pgorm_generate: no pgorm-gen to run. With pgorm added by add_subdirectory() "
        "or FetchContent it is built on demand when libpg-query-dev and libyaml-cpp-dev are installed "
        "(or set PGORM_BUILD_TOOLS=ON before adding pgorm); otherwise install pgorm (find_package imports "
        "pgorm::gen; an install configured with -DPGORM_BUILD_TOOLS=OFF has no pgorm-gen: configure it again "
        "with -DPGORM_BUILD_TOOLS=ON and reinstall), put pgorm-gen on PATH, or set PGORM_GEN_EXECUTABLE to its path.")
    endif()
    set(gen ${PGORM_GEN_EXECUTABLE})
    set(gen_dep ${PGORM_GEN_EXECUTABLE})
  endif()

  cmake_path(ABSOLUTE_PATH PG_OUTPUT BASE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR} OUTPUT_VARIABLE out)
  set(args --output ${out} --namespace ${PG_NAMESPACE})
  set(deps)
  foreach(kind SCHEMA QUERIES)
    string(TOLOWER ${kind} flag)
    foreach(p IN LISTS PG_${kind})
      cmake_path(ABSOLUTE_PATH p BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} OUTPUT_VARIABLE abs)
      list(APPEND args --${flag} ${abs})
      if(IS_DIRECTORY ${abs})
        file(GLOB sql CONFIGURE_DEPENDS ${abs}/*.sql)
        list(APPEND deps ${sql})
      else()
        list(APPEND deps ${abs})
      endif()
    endforeach()
  endforeach()
  if(PG_DATABASE_URL)
    list(APPEND args --database-url ${PG_DATABASE_URL})
  endif()

  get_filename_component(out_dir ${out} DIRECTORY)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND ${gen} ${args}
    DEPENDS ${deps} ${gen_dep}
    COMMENT "pgorm-gen: generating ${PG_OUTPUT}"
    VERBATIM)
  string(MAKE_C_IDENTIFIER "${PG_TARGET}_${PG_OUTPUT}" gen_target)
  add_custom_target(${gen_target}_pgorm_gen DEPENDS ${out})
  add_dependencies(${PG_TARGET} ${gen_target}_pgorm_gen)
  target_sources(${PG_TARGET} PRIVATE ${out})
  target_include_directories(${PG_TARGET} PRIVATE ${out_dir})
endfunction()
