#pragma once
// The data of an async COPY FROM STDIN in PostgreSQL's binary COPY format (PostgreSQL docs,
// COPY, "Binary Format"): an 11-byte signature, 32-bit flags and header-extension length, then per
// row a 16-bit field count and per field a 32-bit length (-1 for NULL) and the codec's binary
// bytes, then a 16-bit -1. Every value is encoded by the codec a bound parameter uses, as in the
// synchronous copy_writer (core/copy.hpp), so the C++ type must be the column's exact type.
//
// The rows are encoded a piece (about 64 KiB) at a time, when the engine is ready to send it,
// so a large load is never held whole. The range is read in place: it must outlive the await.

#include <pgorm/async/engine.hpp>
#include <pgorm/error.hpp>
#include <pgorm/reflect/table.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>

#include <cstdint>
#include <iterator>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace pgorm::detail {

/// Appends binary COPY framing and fields to a std::string.
struct copy_framing {
    static void signature(std::string& out) {
        out.append("PGCOPY\n\377\r\n\0", 11);
        put32(out, 0);  // flags: no OIDs
        put32(out, 0);  // header extension length
    }
    static void begin_row(std::string& out, std::size_t fields) { put16(out, static_cast<std::uint16_t>(fields)); }
    static void trailer(std::string& out) { put16(out, 0xffff); }

    /// One field. Throws value_out_of_range for a field over 2 GiB, or what the codec throws.
    template <class V>
    static void field(std::string& out, const V& v) {
        using C = codec<std::remove_cvref_t<V>>;
        static_assert(has_codec<std::remove_cvref_t<V>>, "pgorm: no codec for this COPY value type; specialise pgorm::codec<T>");
        static_assert(requires(std::string& s) { C::encode(v, s); },
                      "pgorm: this type's codec sends text only; binary COPY needs a binary encode()");
        if constexpr (nullable_value<std::remove_cvref_t<V>>) {
            if (C::is_null(v)) return put32(out, 0xffffffffu);
        }
        const std::size_t at = out.size();
        put32(out, 0);  // the length, filled in below
        C::encode(v, out);
        const std::size_t n = out.size() - at - 4;
        if (n > 0x7fffffffu) throw value_out_of_range("pgorm: a COPY field is larger than 2 GiB");
        for (int i = 0; i < 4; ++i) out[at + static_cast<std::size_t>(i)] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
    }

private:
    static void put16(std::string& out, std::uint16_t v) {
        out.push_back(static_cast<char>(v >> 8));
        out.push_back(static_cast<char>(v & 0xff));
    }
    static void put32(std::string& out, std::uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
    }
};

/// Encodes the rows of a range with `write_row(out, row)`, a piece at a time.
template <class Range, class WriteRow>
class range_copy_source final : public copy_source {
public:
    range_copy_source(const Range& rows, WriteRow write_row)
        : it_(std::begin(rows)), end_(std::end(rows)), write_row_(std::move(write_row)) {}
    void fill(std::string& out) override {
        if (!started_) {
            copy_framing::signature(out);
            started_ = true;
        }
        for (; it_ != end_ && out.size() < copy_piece; ++it_) write_row_(out, *it_);
        if (it_ == end_) {
            copy_framing::trailer(out);
            done = true;
        }
    }

private:
    decltype(std::begin(std::declval<const Range&>())) it_;
    decltype(std::end(std::declval<const Range&>())) end_;
    WriteRow write_row_;
    bool started_ = false;
};

template <class Range, class WriteRow>
std::shared_ptr<copy_source> make_copy_source(const Range& rows, WriteRow write_row) {
    return std::make_shared<range_copy_source<Range, WriteRow>>(rows, std::move(write_row));
}

}  // namespace pgorm::detail
