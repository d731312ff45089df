#pragma once
// pgorm: the ORM core that most translation units of a service need: reflection (table<T>),
// every codec but the opt-in ones below, connection, pool, transaction scopes and repository<T>.
//
// Opt-in, because each costs build time in every translation unit that includes it
// (docs/performance.md, "Build time"); include them where they are used:
//   <pgorm/types.hpp>    every codec: JSON (Boost.JSON), network, range, composite, money, bit
//                        strings, object ids, XML, text search, geometric (or one <pgorm/types/*.hpp>)
//   <pgorm/query.hpp>    the query builder
//   <pgorm/migrate.hpp>  migrations, schema dump and diff
//   <pgorm/queue.hpp>    the PGMQ-compatible queue
//   <pgorm/events.hpp>   the event store
//   <pgorm/bus.hpp>      the command bus
//   <pgorm/async.hpp>    coroutines on Boost.Asio
//   <pgorm/testing.hpp>  throwaway clusters and databases for tests
#include <pgorm/reflect.hpp>
#include <pgorm/core.hpp>
#include <pgorm/pool.hpp>
#include <pgorm/xact.hpp>
#include <pgorm/repo.hpp>
// pgorm::timestamp and the year_month_day codec need C++20's calendar part of <chrono> (about
// 0.2 s per translation unit), so the layer headers above leave them out; the umbrella keeps
// every codec it has always carried.
#include <pgorm/types/chrono.hpp>
