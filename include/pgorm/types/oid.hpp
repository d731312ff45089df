#pragma once
// PostgreSQL built-in type OIDs (pg_type.dat) and their names, for codecs and messages.

#include <cstdint>
#include <string>
#include <string_view>

namespace pgorm {

using oid_t = unsigned int;  // same width as libpq's Oid

namespace oid {
inline constexpr oid_t unspecified = 0;  // let the server infer the parameter type
inline constexpr oid_t bool_ = 16, bytea = 17, char_ = 18, name = 19, int8 = 20, int2 = 21, int4 = 23,
                       text = 25, oid = 26, json = 114, xml = 142, float4 = 700, float8 = 701,
                       unknown = 705, bpchar = 1042, varchar = 1043, date = 1082, time = 1083,
                       timestamp = 1114, timestamptz = 1184, interval = 1186, timetz = 1266,
                       numeric = 1700, uuid = 2950, jsonb = 3802;
inline constexpr oid_t bool_array = 1000, bytea_array = 1001, char_array = 1002, name_array = 1003,
                       int2_array = 1005, int4_array = 1007, text_array = 1009, bpchar_array = 1014,
                       varchar_array = 1015, int8_array = 1016, float4_array = 1021,
                       float8_array = 1022, oid_array = 1028, timestamp_array = 1115,
                       date_array = 1182, time_array = 1183, timestamptz_array = 1185,
                       interval_array = 1187, numeric_array = 1231, uuid_array = 2951,
                       json_array = 199, jsonb_array = 3807;
/// OIDs below this are built in; user types (enums, domains, composites) are above it.
inline constexpr oid_t first_user_oid = 16384;
}  // namespace oid

/// The SQL name of a built-in type, or "oid N" for anything else (used in error messages).
inline std::string type_name_of(oid_t o) {
    switch (o) {
        case oid::bool_: return "boolean";
        case oid::bytea: return "bytea";
        case oid::char_: return "\"char\"";
        case oid::name: return "name";
        case oid::int8: return "bigint";
        case oid::int2: return "smallint";
        case oid::int4: return "integer";
        case oid::text: return "text";
        case oid::oid: return "oid";
        case oid::json: return "json";
        case oid::xml: return "xml";
        case oid::float4: return "real";
        case oid::float8: return "double precision";
        case oid::unknown: return "unknown";
        case oid::bpchar: return "character";
        case oid::varchar: return "character varying";
        case oid::date: return "date";
        case oid::time: return "time";
        case oid::timestamp: return "timestamp";
        case oid::timestamptz: return "timestamptz";
        case oid::interval: return "interval";
        case oid::timetz: return "timetz";
        case oid::numeric: return "numeric";
        case oid::uuid: return "uuid";
        case oid::jsonb: return "jsonb";
        case oid::bool_array: return "boolean[]";
        case oid::bytea_array: return "bytea[]";
        case oid::name_array: return "name[]";
        case oid::int2_array: return "smallint[]";
        case oid::int4_array: return "integer[]";
        case oid::text_array: return "text[]";
        case oid::varchar_array: return "character varying[]";
        case oid::int8_array: return "bigint[]";
        case oid::float4_array: return "real[]";
        case oid::float8_array: return "double precision[]";
        case oid::timestamp_array: return "timestamp[]";
        case oid::date_array: return "date[]";
        case oid::time_array: return "time[]";
        case oid::timestamptz_array: return "timestamptz[]";
        case oid::interval_array: return "interval[]";
        case oid::numeric_array: return "numeric[]";
        case oid::uuid_array: return "uuid[]";
        case oid::json_array: return "json[]";
        case oid::jsonb_array: return "jsonb[]";
        default: return o >= oid::first_user_oid ? "user type (oid " + std::to_string(o) + ")"
                                                  : "oid " + std::to_string(o);
    }
}

}  // namespace pgorm
