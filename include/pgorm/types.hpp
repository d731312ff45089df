#pragma once
// Layer 2: one codec per C++ type (binary both ways, OID checked).
#include <pgorm/types/codec.hpp>
#include <pgorm/types/optional.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>
#include <pgorm/types/bytea.hpp>
#include <pgorm/types/uuid.hpp>
#include <pgorm/types/chrono.hpp>
#include <pgorm/types/numeric.hpp>
#include <pgorm/types/enum.hpp>
#include <pgorm/types/array.hpp>
#include <pgorm/types/json.hpp>
