#pragma once
// What every ```cpp block of README.md and docs/*.md may use without declaring it. Blocks are
// compiled with -fsyntax-only (tests/docs/snippets.cmake), so the objects below are declared,
// never defined or run. Keep this list short: a name a reader cannot guess belongs in the block.

#include <pgorm.hpp>

#include "models.hpp"  // examples/models.hpp: app::User, app::Organization, app::Transaction

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

extern pgorm::connection conn;  // an open connection (autocommit)
extern pgorm::pool db;          // the application's pool
extern std::string id;          // a user_id the page talks about
extern std::string password;    // a secret read from the environment

// The application's own work, which the pages call by name only.
template <class... A> void handle(const A&...);
template <class... A> void ship(const A&...);
template <class... A> bool known(const A&...);
