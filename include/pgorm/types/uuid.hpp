#pragma once
// uuid: boost::uuids::uuid, 16 bytes in network order both in memory and on the wire.

#include <pgorm/types/codec.hpp>

#include <boost/uuid/uuid.hpp>

#include <algorithm>

namespace pgorm {

template <>
struct codec<boost::uuids::uuid> {
    static constexpr oid_t type_oid = oid::uuid;
    static constexpr oid_t array_oid = oid::uuid_array;
    static constexpr std::string_view sql_name = "uuid";
    static bool accepts(oid_t o) noexcept { return o == oid::uuid; }
    static void encode(const boost::uuids::uuid& v, std::string& out) {
        out.append(reinterpret_cast<const char*>(v.data), sizeof v.data);
    }
    static void decode(std::string_view in, oid_t, boost::uuids::uuid& out) {
        wire::expect_size(in, sizeof out.data, sql_name);
        std::copy(in.begin(), in.end(), reinterpret_cast<char*>(out.data));
    }
};

}  // namespace pgorm
