#pragma once
// The definitions of pgorm's non-template functions, for separate compilation: include this
// header in exactly one translation unit of a program built with PGORM_SEPARATE_COMPILATION
// defined everywhere (see <pgorm/detail/linkage.hpp>; CMake's pgorm::compiled target does it).
// The testing helpers (pgorm::testing: throwaway clusters and databases) and the async API
// (Boost.Asio) are not here, so that programs do not carry or compile what they do not use: a
// test program also includes <pgorm/testing/src.hpp> once, an async one <pgorm/async/src.hpp>.
#ifndef PGORM_SEPARATE_COMPILATION
#error "<pgorm/src.hpp> is for separate compilation: define PGORM_SEPARATE_COMPILATION in every translation unit (CMake: link pgorm::compiled), or do not include it (header-only mode needs no source file)"
#endif

#include <pgorm/detail/linkage.hpp>

namespace pgorm {
// Every separate-mode translation unit references it (detail/linkage.hpp): a program without
// this header (or without pgorm::compiled) fails to link with the name as the message.
void link_pgorm_compiled_or_include_src_hpp() {}
}  // namespace pgorm

// core/ (reflect, types, core)
#include <pgorm/impl/error.ipp>
#include <pgorm/types/impl/oid.ipp>
#include <pgorm/types/impl/codec.ipp>
#include <pgorm/types/impl/string.ipp>
#include <pgorm/types/impl/scalar.ipp>
#include <pgorm/types/impl/network.ipp>
#include <pgorm/types/impl/numeric.ipp>
#include <pgorm/core/detail/impl/call_deadline.ipp>
#include <pgorm/core/detail/impl/entropy.ipp>
#include <pgorm/core/detail/impl/error_mapping.ipp>
#include <pgorm/core/detail/impl/statement_cache.ipp>
#include <pgorm/core/impl/advisory_lock.ipp>
#include <pgorm/core/impl/config.ipp>
#include <pgorm/core/impl/connection.ipp>
#include <pgorm/core/impl/copy.ipp>
#include <pgorm/core/impl/listener.ipp>
#include <pgorm/core/impl/observer.ipp>
#include <pgorm/core/impl/params.ipp>
#include <pgorm/core/impl/pipeline.ipp>
#include <pgorm/core/impl/row_mapping.ipp>
#include <pgorm/core/impl/stream.ipp>

// pool/ and xact/ (and the layers above them)
#include <pgorm/pool/detail/impl/pool_core.ipp>
#include <pgorm/pool/detail/impl/outage.ipp>
#include <pgorm/pool/impl/connection_pool.ipp>
#include <pgorm/xact/impl/rls.ipp>
#include <pgorm/xact/impl/xact.ipp>
#include <pgorm/xact/impl/retry.ipp>
#include <pgorm/xact/impl/pool.ipp>

// migrate/
#include <pgorm/migrate/impl/sql_split.ipp>
#include <pgorm/migrate/impl/library_schemas.ipp>
#include <pgorm/migrate/impl/migration_file.ipp>
#include <pgorm/migrate/impl/migrator.ipp>
#include <pgorm/migrate/impl/dump.ipp>
#include <pgorm/migrate/impl/conventions.ipp>
#include <pgorm/migrate/impl/model_diff.ipp>

// queue/, events/ and bus/
#include <pgorm/queue/impl/message.ipp>
#include <pgorm/queue/impl/install.ipp>
#include <pgorm/queue/impl/client.ipp>
#include <pgorm/queue/impl/consume.ipp>
#include <pgorm/events/impl/event.ipp>
#include <pgorm/events/impl/store.ipp>
#include <pgorm/events/impl/stream.ipp>
#include <pgorm/events/impl/lock_backend.ipp>
#include <pgorm/bus/impl/model.ipp>
#include <pgorm/bus/impl/command_bus.ipp>
#include <pgorm/bus/impl/handlers.ipp>
#include <pgorm/bus/impl/worker.ipp>
