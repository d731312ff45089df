#pragma once
// bit(n) and bit varying(n): pgorm::bit_string, a string of '0' and '1' characters.
//
// Binary format (PostgreSQL's bit_send / varbit_send, checked against PostgreSQL 15 with
// varbit_send(B'10101') = 00000005 a8): int32 bit count, then ceil(count / 8) bytes, most
// significant bit first, the unused low bits of the last byte zero. A zero-length bit string is
// the count 0 and no bytes. Sent as `bit varying`, which the server casts to bit(n) on assignment
// (a length that does not match bit(n) is the server's error); reads bit and bit varying.

#include <pgorm/types/codec.hpp>

#include <limits>
#include <string>

namespace pgorm {

/// A bit string, written most significant (first) bit first: bit_string{"10101"}.
struct bit_string {
    std::string bits;  // only '0' and '1'; checked when sent

    std::size_t size() const noexcept { return bits.size(); }
    bool operator[](std::size_t i) const noexcept { return bits[i] == '1'; }
    friend bool operator==(const bit_string&, const bit_string&) = default;
};

template <>
struct codec<bit_string> {
    static constexpr oid_t type_oid = oid::varbit;
    static constexpr oid_t array_oid = oid::varbit_array;
    static constexpr std::string_view sql_name = "bit varying";
    // PostgreSQL's VARBITMAXLEN: a bit string is at most 1 GB (BITS_PER_BYTE * MaxAttrSize).
    static constexpr std::size_t max_bits = std::size_t{83886080};

    static bool accepts(oid_t o) noexcept { return o == oid::bit || o == oid::varbit; }
    static void encode(const bit_string& v, std::string& out) {
        if (v.bits.size() > max_bits)
            throw value_out_of_range("pgorm: bit string of " + std::to_string(v.bits.size()) +
                                     " bits exceeds PostgreSQL's limit of " + std::to_string(max_bits));
        wire::put<std::int32_t>(out, static_cast<std::int32_t>(v.bits.size()));
        unsigned char byte = 0;
        for (std::size_t i = 0; i < v.bits.size(); ++i) {
            const char c = v.bits[i];
            if (c != '0' && c != '1')
                throw usage_error("pgorm: bit string has '" + std::string(1, c) + "' at position " + std::to_string(i) +
                                  "; only '0' and '1' are bits");
            byte = static_cast<unsigned char>(byte | ((c == '1') << (7 - i % 8)));
            if (i % 8 == 7 || i + 1 == v.bits.size()) {
                out.push_back(static_cast<char>(byte));
                byte = 0;
            }
        }
    }
    static void encode_text(const bit_string& v, std::string& out) {
        for (char c : v.bits)
            if (c != '0' && c != '1') throw usage_error("pgorm: bit string holds a character other than '0' and '1'");
        out += v.bits;
    }
    static void decode(std::string_view in, oid_t, bit_string& out) {
        wire::reader r(in, "bit string");
        const auto n = r.read<std::int32_t>();
        if (n < 0) throw decode_error("pgorm: negative bit string length on the wire");
        const auto bytes = r.bytes((static_cast<std::size_t>(n) + 7) / 8);
        if (!r.done()) throw decode_error("pgorm: trailing bytes after a bit string value");
        out.bits.assign(static_cast<std::size_t>(n), '0');
        for (std::size_t i = 0; i < out.bits.size(); ++i)
            if (static_cast<unsigned char>(bytes[i / 8]) & (0x80 >> (i % 8))) out.bits[i] = '1';
    }
};

}  // namespace pgorm
