#pragma once
// Layer 2: one codec per C++ type (binary both ways, OID checked): all of them, JSON included.
#include <pgorm/types/basic.hpp>
#include <pgorm/types/json.hpp>
