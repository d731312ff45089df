#pragma once
// Layer 1: table<T> from Boost.Describe and PGORM_TABLE.
#include <pgorm/reflect/table.hpp>
