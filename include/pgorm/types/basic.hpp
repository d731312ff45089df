#pragma once
// The codecs most tables need: numbers, bool, text, bytea, uuid, date and time, numeric, described
// enums, arrays, std::optional, and JSON as raw text (pgorm::json, pgorm::jsonb<>). jsonb<T> for
// C++ values brings Boost.JSON, about 2 s and 170 MiB of compiler time per translation unit
// (docs/performance.md, "Build time"), so layer headers include this; <pgorm/types/json.hpp> (or
// <pgorm/types.hpp>) adds it.
#include <pgorm/types/codec.hpp>
#include <pgorm/types/optional.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>
#include <pgorm/types/bytea.hpp>
#include <pgorm/types/uuid.hpp>
#include <pgorm/types/time.hpp>  // timestamp, year_month_day: <pgorm/types/chrono.hpp>
#include <pgorm/types/numeric.hpp>
#include <pgorm/types/enum.hpp>
#include <pgorm/types/array.hpp>
#include <pgorm/types/json_text.hpp>
