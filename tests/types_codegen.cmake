# test_types_regressions also runs code pgorm-gen writes for arrays of user types (a domain's and
# an enum's array in :copyfrom, :many and :exec): the generated header must compile and work.
if(TARGET pgorm-gen AND TARGET test_types_regressions)
  pgorm_generate(TARGET test_types_regressions SCHEMA types_codegen/schema.sql QUERIES types_codegen/queries.sql
    OUTPUT generated/types_crates.hpp NAMESPACE crates)
  target_compile_definitions(test_types_regressions PRIVATE PGORM_TYPES_GENERATED=1)
endif()
