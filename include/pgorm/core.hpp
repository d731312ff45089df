#pragma once
// Layer 3: connection, results, parameters, errors, configuration, and the codecs most tables
// need (types/basic.hpp: JSON only as raw text; jsonb<T> and the rarer types in <pgorm/types.hpp>).
#include <pgorm/error.hpp>
#include <pgorm/types/basic.hpp>  // jsonb<T>: <pgorm/types/json.hpp> or <pgorm/types.hpp>
#include <pgorm/core/config.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/core/detail/error_mapping.hpp>
#include <pgorm/core/params.hpp>
#include <pgorm/core/result.hpp>
#include <pgorm/core/stream.hpp>
#include <pgorm/core/copy.hpp>
#include <pgorm/core/pipeline.hpp>
#include <pgorm/core/advisory_lock.hpp>
#include <pgorm/core/listener.hpp>
