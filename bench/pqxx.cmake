# Finds libpqxx (Debian: libpqxx-dev) for the benchmark; sets PGORM_PQXX_LIBRARY and
# PGORM_PQXX_INCLUDE_DIR (cached), or leaves them NOTFOUND. Included by the top level and by
# tests/bench.cmake, which is read before the bench directory is added.
include_guard(GLOBAL)
find_library(PGORM_PQXX_LIBRARY NAMES pqxx DOC "libpqxx, for pgorm-bench")
find_path(PGORM_PQXX_INCLUDE_DIR pqxx/pqxx DOC "libpqxx headers, for pgorm-bench")
if(PGORM_PQXX_LIBRARY AND NOT PGORM_PQXX_INCLUDE_DIR)
  set(PGORM_PQXX_LIBRARY PGORM_PQXX_LIBRARY-NOTFOUND)
endif()
