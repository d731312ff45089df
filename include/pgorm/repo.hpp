#pragma once
// Layer 6: repository<T>, typed filters, ordering and keyset pagination, row locks, upsert,
// partial and JSONB updates, bulk insert and streaming reads.
#include <pgorm/core.hpp>
#include <pgorm/repo/sql.hpp>
#include <pgorm/repo/filter.hpp>
#include <pgorm/repo/lock.hpp>
#include <pgorm/repo/assign.hpp>
#include <pgorm/repo/stream.hpp>
#include <pgorm/repo/statements.hpp>
#include <pgorm/repo/repository.hpp>
