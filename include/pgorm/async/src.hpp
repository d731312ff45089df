#pragma once
// The definitions of the async API's non-template functions (pgorm::async_connection, its engine,
// listener, pool and tenant sessions), for separate compilation: include it in exactly one
// translation unit of a program that uses <pgorm/async.hpp> and is built with
// PGORM_SEPARATE_COMPILATION, beside <pgorm/src.hpp>. Kept apart because it compiles Boost.Asio
// (about half of the separate-mode bodies' compile time): CMake's pgorm::compiled builds it as
// its own archive member, which the linker only pulls into programs that use the async API.
#ifndef PGORM_SEPARATE_COMPILATION
#error "<pgorm/async/src.hpp> is for separate compilation: define PGORM_SEPARATE_COMPILATION in every translation unit (CMake: link pgorm::compiled), or do not include it (header-only mode needs no source file)"
#endif

#include <pgorm/detail/linkage.hpp>

#include <pgorm/async/detail/impl/tenant_session.ipp>
#include <pgorm/async/impl/engine.ipp>
#include <pgorm/async/impl/connection.ipp>
#include <pgorm/async/impl/listener.ipp>
#include <pgorm/async/impl/pool.ipp>
