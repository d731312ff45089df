#pragma once
// Layer 2: one codec per C++ type (binary both ways, OID checked): all of them, JSON included.
#include <pgorm/types/basic.hpp>
#include <pgorm/types/json.hpp>
#include <pgorm/types/network.hpp>
#include <pgorm/types/range.hpp>
#include <pgorm/types/composite.hpp>
#include <pgorm/types/money.hpp>
#include <pgorm/types/bit_string.hpp>
#include <pgorm/types/object_id.hpp>
#include <pgorm/types/xml.hpp>
#include <pgorm/types/text_search.hpp>
#include <pgorm/types/geometric.hpp>
