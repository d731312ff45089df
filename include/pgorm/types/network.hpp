#pragma once
// Network addresses: inet / cidr (pgorm::inet, pgorm::cidr) and macaddr / macaddr8.
//
//   pgorm::inet::parse("192.168.1.5/24")   family ipv4, bits 24, address {192,168,1,5}
//   pgorm::inet::parse("2001:db8::1")      family ipv6, bits 128
//   pgorm::cidr::parse("10.0.0.0/8")       a network: no address bits right of the mask
//   pgorm::macaddr::parse("08:00:2b:01:02:03"), pgorm::macaddr8::parse("08:00:2b:01:02:03:04:05")
//
// Binary formats (PostgreSQL's network_send / macaddr_send / macaddr8_send, checked against
// PostgreSQL 15 with inet_send(), cidr_send(), macaddr8_send()):
//   inet, cidr: family byte (2 = IPv4, 3 = IPv6: PGSQL_AF_INET, PGSQL_AF_INET + 1), mask bits
//               byte, is-cidr byte, address length byte (4 or 16), then the address bytes.
//   macaddr:    6 bytes;  macaddr8: 8 bytes.
// inet reads inet and cidr columns; cidr reads cidr only (an inet may have host bits set).
// Text forms are parsed and printed with POSIX inet_pton / inet_ntop, in PostgreSQL's spelling:
// inet omits the prefix when it covers the whole address (/32, /128), cidr always shows it.
// Bad text throws usage_error; bad bits or a cidr with host bits throws value_out_of_range
// before anything is sent (the server would say "has bits set to right of mask").

#include <pgorm/detail/linkage.hpp>
#include <pgorm/types/codec.hpp>


#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace pgorm {

/// An IPv4 or IPv6 host address with a netmask length (PostgreSQL `inet`, docs 8.9.1).
struct inet {
    enum class family_t : std::uint8_t { ipv4 = 4, ipv6 = 6 };

    family_t family = family_t::ipv4;
    std::uint8_t bits = 32;                  // netmask length: 0..32 (IPv4), 0..128 (IPv6)
    std::array<std::uint8_t, 16> address{};  // network byte order; IPv4 uses the first 4 bytes

    /// 4 or 16: the bytes of `address` in use.
    constexpr std::size_t size() const noexcept { return family == family_t::ipv4 ? 4 : 16; }
    constexpr int max_bits() const noexcept { return family == family_t::ipv4 ? 32 : 128; }

    /// "addr" or "addr/bits"; throws usage_error on anything else.
    static inet parse(std::string_view text);
    /// PostgreSQL's output: "/bits" only when it is less than the address width.
    std::string to_string() const;

    friend bool operator==(const inet& a, const inet& b) noexcept {
        if (a.family != b.family || a.bits != b.bits) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (a.address[i] != b.address[i]) return false;
        return true;
    }
};

/// A network (PostgreSQL `cidr`, docs 8.9.2): an inet whose address bits right of the mask are 0.
struct cidr : inet {
    static cidr parse(std::string_view text);
    /// Always "addr/bits".
    std::string to_string() const;
    /// True when no address bit right of the mask is set.
    bool is_network() const noexcept;
};

/// A 6-byte MAC address (PostgreSQL `macaddr`, docs 8.9.3).
struct macaddr {
    std::array<std::uint8_t, 6> bytes{};
    static macaddr parse(std::string_view text);  // "08:00:2b:01:02:03" or with '-' separators
    std::string to_string() const;                // "08:00:2b:01:02:03"
    friend bool operator==(const macaddr&, const macaddr&) = default;
};

/// An 8-byte EUI-64 MAC address (PostgreSQL `macaddr8`, docs 8.9.5).
struct macaddr8 {
    std::array<std::uint8_t, 8> bytes{};
    static macaddr8 parse(std::string_view text);  // "08:00:2b:01:02:03:04:05" or with '-'
    std::string to_string() const;
    friend bool operator==(const macaddr8&, const macaddr8&) = default;
};

namespace detail::net {
inline constexpr std::uint8_t pg_af_inet = 2, pg_af_inet6 = 3;  // utils/inet.h

inline void check_bits(const inet& v) {
    if (v.family != inet::family_t::ipv4 && v.family != inet::family_t::ipv6)
        throw value_out_of_range("pgorm: inet family must be ipv4 or ipv6");
    if (v.bits > v.max_bits())
        throw value_out_of_range("pgorm: inet netmask length " + std::to_string(v.bits) + " exceeds " +
                                 std::to_string(v.max_bits()) + " bits");
}

inline void encode(const inet& v, bool is_cidr, std::string& out) {
    check_bits(v);
    out.push_back(static_cast<char>(v.family == inet::family_t::ipv4 ? pg_af_inet : pg_af_inet6));
    out.push_back(static_cast<char>(v.bits));
    out.push_back(is_cidr ? 1 : 0);
    out.push_back(static_cast<char>(v.size()));
    out.append(reinterpret_cast<const char*>(v.address.data()), v.size());
}

inline void decode(std::string_view in, inet& out) {
    wire::reader r(in, "inet");
    const auto family = r.read<std::uint8_t>();
    const auto bits = r.read<std::uint8_t>();
    r.read<std::uint8_t>();  // is-cidr: the column type says the same
    const auto n = r.read<std::uint8_t>();
    if (!((family == pg_af_inet && n == 4) || (family == pg_af_inet6 && n == 16)))
        throw decode_error("pgorm: inet value with family " + std::to_string(family) + " and " + std::to_string(n) +
                           " address bytes on the wire");
    out = inet{};
    out.family = family == pg_af_inet ? inet::family_t::ipv4 : inet::family_t::ipv6;
    out.bits = bits;
    if (bits > out.max_bits()) throw decode_error("pgorm: inet netmask length " + std::to_string(bits) + " on the wire");
    auto addr = r.bytes(n);
    for (std::size_t i = 0; i < n; ++i) out.address[i] = static_cast<std::uint8_t>(addr[i]);
    if (!r.done()) throw decode_error("pgorm: trailing bytes after an inet value");
}

template <std::size_t N>
std::array<std::uint8_t, N> parse_mac(std::string_view text, std::string_view what) {
    // N hex pairs separated by ':' or '-' (one separator style); PostgreSQL accepts more spellings
    // on input, pgorm reads its own output form and the common dash form.
    std::array<std::uint8_t, N> b{};
    auto bad = [&] {
        throw usage_error("pgorm: \"" + std::string(text) + "\" is not a " + std::string(what) + " (expected " +
                          std::to_string(N) + " hex pairs separated by ':' or '-')");
    };
    if (text.size() != N * 3 - 1) bad();
    auto hex = [&](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        bad();
        return 0;
    };
    const char sep = text[2];
    if (sep != ':' && sep != '-') bad();
    for (std::size_t i = 0; i < N; ++i) {
        if (i > 0 && text[i * 3 - 1] != sep) bad();
        b[i] = static_cast<std::uint8_t>(hex(text[i * 3]) * 16 + hex(text[i * 3 + 1]));
    }
    return b;
}

template <std::size_t N>
std::string format_mac(const std::array<std::uint8_t, N>& b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < N; ++i) {
        if (i) s.push_back(':');
        s.push_back(digits[b[i] >> 4]);
        s.push_back(digits[b[i] & 0xF]);
    }
    return s;
}
}  // namespace detail::net

template <>
struct codec<inet> {
    static constexpr oid_t type_oid = oid::inet;
    static constexpr oid_t array_oid = oid::inet_array;
    static constexpr std::string_view sql_name = "inet";
    static bool accepts(oid_t o) noexcept { return o == oid::inet || o == oid::cidr; }
    static void encode(const inet& v, std::string& out) { detail::net::encode(v, false, out); }
    static void encode_text(const inet& v, std::string& out) { out += v.to_string(); }
    static void decode(std::string_view in, oid_t, inet& out) { detail::net::decode(in, out); }
};

template <>
struct codec<cidr> {
    static constexpr oid_t type_oid = oid::cidr;
    static constexpr oid_t array_oid = oid::cidr_array;
    static constexpr std::string_view sql_name = "cidr";
    static bool accepts(oid_t o) noexcept { return o == oid::cidr; }
    static void encode(const cidr& v, std::string& out) {
        if (!v.is_network())
            throw value_out_of_range("pgorm: cidr " + v.inet::to_string() +
                                     " has address bits set right of its mask; send it as pgorm::inet or clear them");
        detail::net::encode(v, true, out);
    }
    static void encode_text(const cidr& v, std::string& out) { out += v.to_string(); }
    static void decode(std::string_view in, oid_t, cidr& out) { detail::net::decode(in, out); }
};

template <>
struct codec<macaddr> {
    static constexpr oid_t type_oid = oid::macaddr;
    static constexpr oid_t array_oid = oid::macaddr_array;
    static constexpr std::string_view sql_name = "macaddr";
    static bool accepts(oid_t o) noexcept { return o == oid::macaddr; }
    static void encode(const macaddr& v, std::string& out) {
        out.append(reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size());
    }
    static void encode_text(const macaddr& v, std::string& out) { out += v.to_string(); }
    static void decode(std::string_view in, oid_t, macaddr& out) {
        wire::expect_size(in, 6, sql_name);
        for (std::size_t i = 0; i < 6; ++i) out.bytes[i] = static_cast<std::uint8_t>(in[i]);
    }
};

template <>
struct codec<macaddr8> {
    static constexpr oid_t type_oid = oid::macaddr8;
    static constexpr oid_t array_oid = oid::macaddr8_array;
    static constexpr std::string_view sql_name = "macaddr8";
    static bool accepts(oid_t o) noexcept { return o == oid::macaddr8; }
    static void encode(const macaddr8& v, std::string& out) {
        out.append(reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size());
    }
    static void encode_text(const macaddr8& v, std::string& out) { out += v.to_string(); }
    static void decode(std::string_view in, oid_t, macaddr8& out) {
        wire::expect_size(in, 8, sql_name);
        for (std::size_t i = 0; i < 8; ++i) out.bytes[i] = static_cast<std::uint8_t>(in[i]);
    }
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/types/impl/network.ipp>
#endif
