# pgorm-gen tests (tests/test_codegen.cpp, tests/test_codegen_sqlc.cpp). The generated headers are
# built with pgorm_generate(), so these also test the CMake function. Without the pgorm-gen target
# (PGORM_BUILD_TOOLS=OFF) the tests compile to a skip.
if(TARGET pgorm-gen AND TARGET test_codegen)
  pgorm_generate(TARGET test_codegen SCHEMA ${PGORM_SOURCE_DIR}/schema.sql QUERIES ${PGORM_SOURCE_DIR}/queries.sql
    OUTPUT generated/app_queries.hpp NAMESPACE app::db)
  pgorm_generate(TARGET test_codegen SCHEMA codegen/features_schema.sql QUERIES codegen/features.sql
    OUTPUT generated/features.hpp NAMESPACE features)
  target_compile_definitions(test_codegen PRIVATE PGORM_GEN_EXE="$<TARGET_FILE:pgorm-gen>" PGORM_HAVE_GENERATED=1)
endif()

# Names that are not safe C++ names as written, and the lexer's corner cases (test_codegen_names).
# The test also compiles the header again in GNU mode (where `linux` and `unix` are macros).
if(TARGET pgorm-gen AND TARGET test_codegen_names)
  pgorm_generate(TARGET test_codegen_names SCHEMA codegen/names_schema.sql QUERIES codegen/names.sql
    OUTPUT generated/names.hpp NAMESPACE names)
  target_compile_definitions(test_codegen_names PRIVATE PGORM_GEN_EXE="$<TARGET_FILE:pgorm-gen>"
    PGORM_HAVE_GENERATED=1 PGORM_NAMES_HEADER="${CMAKE_CURRENT_BINARY_DIR}/generated/names.hpp"
    PGORM_CXX="${CMAKE_CXX_COMPILER}"
    PGORM_CXX_INCLUDES="-I${PGORM_SOURCE_DIR}/include -I${PostgreSQL_INCLUDE_DIRS} -I${Boost_INCLUDE_DIRS}")
endif()

# The public sqlc corpus lives outside the repository; a plain clone has no ../shared.
set(PGORM_SQLC_CORPUS ${PGORM_SOURCE_DIR}/../shared/sqlc-examples)
if(TARGET pgorm-gen AND TARGET test_codegen_sqlc AND EXISTS ${PGORM_SQLC_CORPUS}/authors/schema.sql)
  foreach(ex authors batch booktest)
    pgorm_generate(TARGET test_codegen_sqlc SCHEMA ${PGORM_SQLC_CORPUS}/${ex}/schema.sql
      QUERIES ${PGORM_SQLC_CORPUS}/${ex}/query.sql OUTPUT sqlc/${ex}.hpp NAMESPACE sqlc::${ex})
  endforeach()
  pgorm_generate(TARGET test_codegen_sqlc SCHEMA ${PGORM_SQLC_CORPUS}/jets/schema.sql
    QUERIES ${PGORM_SQLC_CORPUS}/jets/query-building.sql OUTPUT sqlc/jets.hpp NAMESPACE sqlc::jets)
  pgorm_generate(TARGET test_codegen_sqlc SCHEMA ${PGORM_SQLC_CORPUS}/ondeck/schema
    QUERIES ${PGORM_SQLC_CORPUS}/ondeck/query OUTPUT sqlc/ondeck.hpp NAMESPACE sqlc::ondeck)
  target_compile_definitions(test_codegen_sqlc PRIVATE PGORM_SQLC_CORPUS="${PGORM_SQLC_CORPUS}")
endif()

# Nullability rules and issue 17's inputs, generated and run for real (test_codegen_nullability).
if(TARGET pgorm-gen AND TARGET test_codegen_nullability)
  pgorm_generate(TARGET test_codegen_nullability SCHEMA codegen/nullability_schema.sql
    QUERIES codegen/nullability.sql OUTPUT generated/nullability.hpp NAMESPACE nullability)
  target_compile_definitions(test_codegen_nullability PRIVATE PGORM_GEN_EXE="$<TARGET_FILE:pgorm-gen>"
    PGORM_HAVE_GENERATED=1)
endif()

# The types issue 19 added, as columns, array columns and parameters (test_codegen_types).
if(TARGET pgorm-gen AND TARGET test_codegen_types)
  pgorm_generate(TARGET test_codegen_types SCHEMA codegen/types_schema.sql QUERIES codegen/types.sql
    OUTPUT generated/kinds.hpp NAMESPACE kinds)
  target_compile_definitions(test_codegen_types PRIVATE PGORM_GEN_EXE="$<TARGET_FILE:pgorm-gen>"
    PGORM_HAVE_GENERATED=1)
endif()

# `pgorm-gen --config`: a sqlc.yaml with overrides and renames generates the header this test
# compiles; the test itself runs the sqlc.json twin (same output expected) and bad configs.
if(TARGET pgorm-gen AND TARGET test_codegen_config)
  set(PGORM_CONFIG_DIR ${CMAKE_CURRENT_SOURCE_DIR}/codegen/config)
  set(PGORM_CONFIG_OUT ${CMAKE_CURRENT_BINARY_DIR}/codegen_config)
  configure_file(codegen/config/sqlc.yaml.in ${PGORM_CONFIG_OUT}/sqlc.yaml @ONLY)
  configure_file(codegen/config/sqlc.json.in ${PGORM_CONFIG_OUT}/sqlc.json @ONLY)
  add_custom_command(OUTPUT ${PGORM_CONFIG_OUT}/generated/shop_queries.hpp
    COMMAND pgorm-gen --config ${PGORM_CONFIG_OUT}/sqlc.yaml
    DEPENDS pgorm-gen ${PGORM_CONFIG_OUT}/sqlc.yaml ${PGORM_CONFIG_DIR}/schema.sql ${PGORM_CONFIG_DIR}/queries.sql
    COMMENT "pgorm-gen --config sqlc.yaml" VERBATIM)
  add_custom_target(test_codegen_config_header DEPENDS ${PGORM_CONFIG_OUT}/generated/shop_queries.hpp)
  add_dependencies(test_codegen_config test_codegen_config_header)
  target_include_directories(test_codegen_config PRIVATE ${PGORM_CONFIG_OUT}/generated ${PGORM_CONFIG_DIR})
  target_compile_definitions(test_codegen_config PRIVATE PGORM_GEN_EXE="$<TARGET_FILE:pgorm-gen>"
    PGORM_HAVE_GENERATED=1 PGORM_CONFIG_OUT="${PGORM_CONFIG_OUT}")
endif()
