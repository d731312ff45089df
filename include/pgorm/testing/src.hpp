#pragma once
// The definitions of pgorm::testing's non-template functions (throwaway clusters, databases and
// the migrated template), for separate compilation: include it in exactly one translation unit
// of a test program built with PGORM_SEPARATE_COMPILATION, beside <pgorm/src.hpp>. Kept apart so
// that applications do not carry the testing helpers; CMake's pgorm::compiled builds it as its
// own archive member, which the linker only pulls into programs that use pgorm::testing.
#ifndef PGORM_SEPARATE_COMPILATION
#error "<pgorm/testing/src.hpp> is for separate compilation: define PGORM_SEPARATE_COMPILATION in every translation unit (CMake: link pgorm::compiled), or do not include it (header-only mode needs no source file)"
#endif

#include <pgorm/detail/linkage.hpp>

#include <pgorm/testing/impl/cluster.ipp>
#include <pgorm/testing/impl/database.ipp>
#include <pgorm/testing/impl/migrations_template.ipp>
#include <pgorm/testing/impl/server_process.ipp>
#include <pgorm/testing/impl/fault_proxy.ipp>
#include <pgorm/testing/impl/pgbouncer.ipp>
#include <pgorm/testing/impl/replica.ipp>
