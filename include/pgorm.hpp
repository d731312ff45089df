#pragma once
// pgorm: everything. Each layer also has its own header (pgorm/core.hpp, pgorm/repo.hpp, ...).
#include <pgorm/reflect.hpp>
#include <pgorm/types.hpp>
#include <pgorm/core.hpp>
#include <pgorm/pool.hpp>
#include <pgorm/xact.hpp>
#include <pgorm/repo.hpp>
#include <pgorm/migrate.hpp>
#include <pgorm/queue.hpp>
#include <pgorm/events.hpp>
#include <pgorm/bus.hpp>
#include <pgorm/testing.hpp>
