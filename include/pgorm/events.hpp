#pragma once
// The event-store layer (seed 000's EventStore and more): install() / schema_sql() put schema
// pgorm_events into a database (schema.hpp, install.hpp); event_store publishes, claims, acks,
// nacks and replays typed events (store.hpp); subscribe() is the consumer loop with scope locks
// (subscribe.hpp, lock_backend.hpp); streams with optimistic concurrency and gap-free catch-up
// subscriptions live in stream.hpp. See docs/events.md.
#include <pgorm/events/schema.hpp>
#include <pgorm/events/install.hpp>
#include <pgorm/events/event.hpp>
#include <pgorm/events/store.hpp>
#include <pgorm/events/lock_backend.hpp>
#include <pgorm/events/subscribe.hpp>
#include <pgorm/events/stream.hpp>
