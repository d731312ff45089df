#pragma once
// The queue layer: a PGMQ-compatible message queue. install() / schema_sql() put pgmq's SQL API
// into a database (schema.hpp, install.hpp); client<T> is the typed handle on one queue; consume()
// is the worker loop. See docs/queue.md.
#include <pgorm/queue/schema.hpp>
#include <pgorm/queue/install.hpp>
#include <pgorm/queue/message.hpp>
#include <pgorm/queue/client.hpp>
#include <pgorm/queue/consume.hpp>
