#pragma once
// PostgreSQL built-in type OIDs (pg_type.dat) and their names, for codecs and messages.

#include <pgorm/detail/linkage.hpp>

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
/// Out of line (types/impl/oid.ipp): a switch of some eighty names, needed only by messages.
PGORM_DECL std::string type_name_of(oid_t o);

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/types/impl/oid.ipp>
#endif
