#pragma once
// The non-template part of types/oid.hpp: the names of built-in types, for messages.

#include <pgorm/types/oid.hpp>

#include <string>

namespace pgorm {

PGORM_DECL std::string type_name_of(oid_t o) {
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
        default:
            return o >= oid::first_user_oid ? "user type (oid " + std::to_string(o) + ")" : "oid " + std::to_string(o);
    }
}

}  // namespace pgorm
