#pragma once
// PostgreSQL type -> C++ spelling. Built-in types map to pgorm's codecs (include/pgorm/types/),
// arrays to std::vector of the element, domains to their base type, enums to a generated
// `enum class` with its own codec. Anything else is an error that names the query and the type.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pgorm_gen {

struct type_facts {
    unsigned oid = 0;
    std::string name;  // typname
    std::string sql;   // format_type(): how SQL spells it
    char kind = 'b';   // typtype: b base, e enum, d domain, c composite, r range, p pseudo
    unsigned element = 0;
    unsigned base = 0;
    bool is_array = false;
    std::vector<std::string> labels;  // enums
};

/// How a C++ type is spelled in a struct member and in a function parameter.
struct cpp_type {
    std::string value;  // owning: struct members, results
    std::string param;  // function parameter: by value for small types, a view or const& otherwise
    bool is_enum = false;
};

inline std::optional<cpp_type> builtin_type(unsigned oid) {
    static const std::map<unsigned, cpp_type> table = {
        {16, {"bool", "bool"}},
        {20, {"std::int64_t", "std::int64_t"}},
        {21, {"std::int16_t", "std::int16_t"}},
        {23, {"std::int32_t", "std::int32_t"}},
        {26, {"std::int64_t", "std::int64_t"}},  // oid: unsigned 32-bit, held in 64
        {700, {"float", "float"}},
        {701, {"double", "double"}},
        {25, {"std::string", "std::string_view"}},
        {1043, {"std::string", "std::string_view"}},
        {1042, {"std::string", "std::string_view"}},
        {19, {"std::string", "std::string_view"}},
        {18, {"std::string", "std::string_view"}},
        {17, {"std::vector<std::byte>", "const std::vector<std::byte>&"}},
        {114, {"pgorm::json", "const pgorm::json&"}},
        {3802, {"pgorm::jsonb<>", "const pgorm::jsonb<>&"}},
        {2950, {"boost::uuids::uuid", "const boost::uuids::uuid&"}},
        {1184, {"pgorm::timestamptz", "pgorm::timestamptz"}},
        {1114, {"pgorm::timestamp", "pgorm::timestamp"}},
        {1082, {"std::chrono::sys_days", "std::chrono::sys_days"}},
        {1083, {"pgorm::time_of_day", "const pgorm::time_of_day&"}},
        {1186, {"pgorm::interval", "const pgorm::interval&"}},
        {1700, {"pgorm::numeric", "const pgorm::numeric&"}},
        // include/pgorm/types/{network,money,bit_string,xml,text_search,geometric,range}.hpp
        {869, {"pgorm::inet", "const pgorm::inet&"}},
        {650, {"pgorm::cidr", "const pgorm::cidr&"}},
        {829, {"pgorm::macaddr", "const pgorm::macaddr&"}},
        {774, {"pgorm::macaddr8", "const pgorm::macaddr8&"}},
        {790, {"pgorm::money", "pgorm::money"}},
        {1560, {"pgorm::bit_string", "const pgorm::bit_string&"}},  // bit(n)
        {1562, {"pgorm::bit_string", "const pgorm::bit_string&"}},  // varbit
        {142, {"pgorm::xml", "const pgorm::xml&"}},
        {3614, {"pgorm::tsvector", "const pgorm::tsvector&"}},
        {600, {"pgorm::point2d", "pgorm::point2d"}},
        {3904, {"pgorm::range<std::int32_t>", "const pgorm::range<std::int32_t>&"}},
        {3926, {"pgorm::range<std::int64_t>", "const pgorm::range<std::int64_t>&"}},
        {3906, {"pgorm::range<pgorm::numeric>", "const pgorm::range<pgorm::numeric>&"}},
        {3908, {"pgorm::range<pgorm::timestamp>", "const pgorm::range<pgorm::timestamp>&"}},
        {3910, {"pgorm::range<pgorm::timestamptz>", "const pgorm::range<pgorm::timestamptz>&"}},
        {3912, {"pgorm::range<std::chrono::sys_days>", "const pgorm::range<std::chrono::sys_days>&"}},
        {4451, {"pgorm::multirange<std::int32_t>", "const pgorm::multirange<std::int32_t>&"}},
        {4536, {"pgorm::multirange<std::int64_t>", "const pgorm::multirange<std::int64_t>&"}},
        {4532, {"pgorm::multirange<pgorm::numeric>", "const pgorm::multirange<pgorm::numeric>&"}},
        {4533, {"pgorm::multirange<pgorm::timestamp>", "const pgorm::multirange<pgorm::timestamp>&"}},
        {4534, {"pgorm::multirange<pgorm::timestamptz>", "const pgorm::multirange<pgorm::timestamptz>&"}},
        {4535, {"pgorm::multirange<std::chrono::sys_days>", "const pgorm::multirange<std::chrono::sys_days>&"}},
    };
    auto it = table.find(oid);
    if (it == table.end()) return std::nullopt;
    return it->second;
}

/// Wraps a type in std::optional (for NULL) keeping the parameter spelling cheap where possible.
inline cpp_type optional_of(const cpp_type& t) {
    cpp_type o;
    o.value = "std::optional<" + t.value + ">";
    if (t.param == "std::string_view") o.param = "std::optional<std::string_view>";
    else if (t.param.rfind("const ", 0) == 0) o.param = "const " + o.value + "&";
    else o.param = o.value;
    o.is_enum = t.is_enum;
    return o;
}

inline cpp_type vector_of(const cpp_type& t) {
    cpp_type v;
    v.value = "std::vector<" + t.value + ">";
    v.param = "const " + v.value + "&";
    return v;
}

}  // namespace pgorm_gen
