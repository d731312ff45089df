#pragma once
// Layer 2: one codec per C++ type (binary both ways, OID checked).
#include <pgorm/types/codec.hpp>
#include <pgorm/types/optional.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>
