#pragma once
// point: pgorm::point2d {x, y}.
//
// Binary format (PostgreSQL's point_send, checked with point_send(point(1,2))): two float8,
// x then y. The C++ name is point2d, not point, so that `using namespace pgorm;` does not make
// a program's own `point` (docs/custom-types.md's example is one) ambiguous.

#include <pgorm/types/codec.hpp>

namespace pgorm {

struct point2d {
    double x = 0, y = 0;
    friend bool operator==(const point2d&, const point2d&) = default;
};

template <>
struct codec<point2d> {
    static constexpr oid_t type_oid = oid::point;
    static constexpr oid_t array_oid = oid::point_array;
    static constexpr std::string_view sql_name = "point";
    static bool accepts(oid_t o) noexcept { return o == oid::point; }
    static void encode(const point2d& p, std::string& out) {
        wire::put(out, std::bit_cast<std::uint64_t>(p.x));
        wire::put(out, std::bit_cast<std::uint64_t>(p.y));
    }
    static void decode(std::string_view in, oid_t, point2d& p) {
        wire::expect_size(in, 16, sql_name);
        p.x = std::bit_cast<double>(wire::get<std::uint64_t>(in.data()));
        p.y = std::bit_cast<double>(wire::get<std::uint64_t>(in.data() + 8));
    }
};

}  // namespace pgorm
