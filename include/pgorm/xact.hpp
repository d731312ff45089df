#pragma once
// Layer 5: transaction scopes, savepoints, retry, admin and tenant (RLS) scopes, and the pool
// that hands them out.
#include <pgorm/pool.hpp>
#include <pgorm/xact/options.hpp>
#include <pgorm/xact/xact.hpp>
#include <pgorm/xact/retry.hpp>
#include <pgorm/xact/pool.hpp>
