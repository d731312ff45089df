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
// Network, money, bit strings, text search, geometry, ranges and records (pg_type.dat; checked
// against PostgreSQL 15's pg_type: SELECT typname, oid, typarray).
inline constexpr oid_t point = 600, cidr = 650, macaddr8 = 774, money = 790, macaddr = 829, inet = 869,
                       bit = 1560, varbit = 1562, record = 2249, tsvector = 3614, int4range = 3904,
                       numrange = 3906, tsrange = 3908, tstzrange = 3910, daterange = 3912,
                       int8range = 3926, int4multirange = 4451, nummultirange = 4532,
                       tsmultirange = 4533, tstzmultirange = 4534, datemultirange = 4535,
                       int8multirange = 4536;
inline constexpr oid_t xml_array = 143, point_array = 1017, cidr_array = 651, macaddr8_array = 775,
                       money_array = 791, macaddr_array = 1040, inet_array = 1041, bit_array = 1561,
                       varbit_array = 1563, record_array = 2287, tsvector_array = 3643,
                       int4range_array = 3905, numrange_array = 3907, tsrange_array = 3909,
                       tstzrange_array = 3911, daterange_array = 3913, int8range_array = 3927,
                       int4multirange_array = 6150, nummultirange_array = 6151,
                       tsmultirange_array = 6152, tstzmultirange_array = 6153,
                       datemultirange_array = 6155, int8multirange_array = 6157;
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
        case oid::point: return "point";
        case oid::cidr: return "cidr";
        case oid::macaddr8: return "macaddr8";
        case oid::money: return "money";
        case oid::macaddr: return "macaddr";
        case oid::inet: return "inet";
        case oid::bit: return "bit";
        case oid::varbit: return "bit varying";
        case oid::record: return "record";
        case oid::tsvector: return "tsvector";
        case oid::int4range: return "int4range";
        case oid::numrange: return "numrange";
        case oid::tsrange: return "tsrange";
        case oid::tstzrange: return "tstzrange";
        case oid::daterange: return "daterange";
        case oid::int8range: return "int8range";
        case oid::int4multirange: return "int4multirange";
        case oid::nummultirange: return "nummultirange";
        case oid::tsmultirange: return "tsmultirange";
        case oid::tstzmultirange: return "tstzmultirange";
        case oid::datemultirange: return "datemultirange";
        case oid::int8multirange: return "int8multirange";
        case oid::point_array: return "point[]";
        case oid::cidr_array: return "cidr[]";
        case oid::macaddr8_array: return "macaddr8[]";
        case oid::money_array: return "money[]";
        case oid::macaddr_array: return "macaddr[]";
        case oid::inet_array: return "inet[]";
        case oid::bit_array: return "bit[]";
        case oid::varbit_array: return "bit varying[]";
        case oid::record_array: return "record[]";
        case oid::tsvector_array: return "tsvector[]";
        case oid::int4range_array: return "int4range[]";
        case oid::numrange_array: return "numrange[]";
        case oid::tsrange_array: return "tsrange[]";
        case oid::tstzrange_array: return "tstzrange[]";
        case oid::daterange_array: return "daterange[]";
        case oid::int8range_array: return "int8range[]";
        case oid::int4multirange_array: return "int4multirange[]";
        case oid::nummultirange_array: return "nummultirange[]";
        case oid::tsmultirange_array: return "tsmultirange[]";
        case oid::tstzmultirange_array: return "tstzmultirange[]";
        case oid::datemultirange_array: return "datemultirange[]";
        case oid::int8multirange_array: return "int8multirange[]";
        case oid::xml_array: return "xml[]";
        case oid::oid_array: return "oid[]";
        default: return o >= oid::first_user_oid ? "user type (oid " + std::to_string(o) + ")"
                                                  : "oid " + std::to_string(o);
    }
}

}  // namespace pgorm
