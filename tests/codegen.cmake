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
