#pragma once
// Layer 9: embedded throwaway cluster and per-test databases.
#include <pgorm/testing/cluster.hpp>
#include <pgorm/testing/database.hpp>
#include <pgorm/testing/migrations_template.hpp>
