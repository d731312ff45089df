#pragma once
// Layer 4, the pool: pgorm::pool, the pool applications name (checkouts, transaction and tenant
// scopes; it is defined in xact/pool.hpp because the scopes it hands out are xacts, and is
// included here so that <pgorm/pool.hpp> declares pgorm::pool), connection_pool (the same pool
// without the transaction helpers, what the queue, event and bus layers take) and its RAII
// checkout pooled_connection. The engine behind them is pool/detail/pool_core.hpp.
#include <pgorm/core.hpp>
#include <pgorm/pool/options.hpp>
#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/pool/timeouts.hpp>
#include <pgorm/xact/pool.hpp>
