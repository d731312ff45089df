#pragma once
// The command bus layer (seed 001): per-domain command and reply queues on pgmq, command
// metadata with status, an append-only audit trail, retries, a troubleshooting queue, batches.
// install() / schema_sql() put its schema in a database; command_bus sends; worker runs
// handlers; reply_reader reads replies; process_manager runs multi-step workflows. See docs/bus.md.
#include <pgorm/bus/schema.hpp>
#include <pgorm/bus/install.hpp>
#include <pgorm/bus/model.hpp>
#include <pgorm/bus/command_bus.hpp>
#include <pgorm/bus/queries.hpp>
#include <pgorm/bus/troubleshooting.hpp>
#include <pgorm/bus/handlers.hpp>
#include <pgorm/bus/worker.hpp>
#include <pgorm/bus/replies.hpp>
#include <pgorm/bus/process.hpp>
