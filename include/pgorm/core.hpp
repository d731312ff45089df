#pragma once
// Layer 3: connection, results, parameters, errors, configuration, and the codecs most tables
// need (types/basic.hpp: JSON only as raw text; jsonb<T> and the rarer types in <pgorm/types.hpp>).
//
// Opt-in, because most translation units do not use them and each costs build time in every
// one that includes it (docs/performance.md, "Build time"):
//   <pgorm/core/listener.hpp>  pgorm::listener, LISTEN and wait (notify() is here, core/notify.hpp)
//   <pgorm/core/copy.hpp>      binary COPY FROM STDIN (copy_writer)
//   <pgorm/core/pipeline.hpp>  libpq pipeline mode (pipeline)
// <pgorm/repo.hpp> (and so <pgorm.hpp>) brings copy.hpp and pipeline.hpp, which its bulk inserts use.
#include <pgorm/error.hpp>
#include <pgorm/types/basic.hpp>  // jsonb<T>: <pgorm/types/json.hpp> or <pgorm/types.hpp>
#include <pgorm/core/config.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/core/detail/error_mapping.hpp>
#include <pgorm/core/params.hpp>
#include <pgorm/core/result.hpp>
#include <pgorm/core/stream.hpp>
#include <pgorm/core/advisory_lock.hpp>
#include <pgorm/core/notify.hpp>
