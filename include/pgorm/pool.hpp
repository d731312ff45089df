#pragma once
// Layer 4: the thread-safe connection pool and its RAII checkout.
#include <pgorm/core.hpp>
#include <pgorm/pool/options.hpp>
#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/pool/timeouts.hpp>
