#pragma once
// The bodies of types/network.hpp's text forms: inet, cidr, macaddr and macaddr8 parse() and
// to_string() (inet_pton / inet_ntop from <arpa/inet.h>, needed only here).

#include <pgorm/types/network.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <string>

namespace pgorm {

PGORM_DECL inet inet::parse(std::string_view text) {
    auto bad = [&](std::string_view why) {
        throw usage_error("pgorm: \"" + std::string(text) + "\" is not an inet address (" + std::string(why) + ")");
    };
    std::string addr(text.substr(0, text.find('/')));
    inet v;
    if (addr.find(':') != std::string::npos) {
        v.family = family_t::ipv6;
        if (::inet_pton(AF_INET6, addr.c_str(), v.address.data()) != 1) bad("malformed IPv6 address");
    } else {
        v.family = family_t::ipv4;
        if (::inet_pton(AF_INET, addr.c_str(), v.address.data()) != 1) bad("malformed IPv4 address");
    }
    v.bits = static_cast<std::uint8_t>(v.max_bits());
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3) bad("netmask length must be 0..32 or 0..128");
        int bits = 0;
        for (char c : digits) {
            if (c < '0' || c > '9') bad("netmask length is not a number");
            bits = bits * 10 + (c - '0');
        }
        if (bits > v.max_bits()) bad("netmask length exceeds the address width");
        v.bits = static_cast<std::uint8_t>(bits);
    }
    return v;
}

PGORM_DECL std::string inet::to_string() const {
    detail::net::check_bits(*this);
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(family == family_t::ipv4 ? AF_INET : AF_INET6, address.data(), buf, sizeof buf);
    std::string s(buf);
    if (bits != max_bits()) s += "/" + std::to_string(bits);
    return s;
}

PGORM_DECL bool cidr::is_network() const noexcept {
    for (std::size_t i = 0; i < size(); ++i) {
        const int first_host_bit = static_cast<int>(i) * 8;  // bits of byte i: [8i, 8i + 8)
        const int keep = bits > first_host_bit ? bits - first_host_bit : 0;
        if (keep >= 8) continue;
        const auto host_mask = static_cast<std::uint8_t>(0xFF >> keep);
        if (address[i] & host_mask) return false;
    }
    return true;
}

PGORM_DECL cidr cidr::parse(std::string_view text) {
    cidr c;
    static_cast<inet&>(c) = inet::parse(text);
    if (!c.is_network())
        throw usage_error("pgorm: \"" + std::string(text) +
                          "\" is not a cidr network: address bits are set right of the mask");
    return c;
}

PGORM_DECL std::string cidr::to_string() const {
    std::string s = inet::to_string();
    if (bits == max_bits()) s += "/" + std::to_string(bits);
    return s;
}

PGORM_DECL macaddr macaddr::parse(std::string_view text) { return {detail::net::parse_mac<6>(text, "macaddr")}; }
PGORM_DECL std::string macaddr::to_string() const { return detail::net::format_mac(bytes); }
PGORM_DECL macaddr8 macaddr8::parse(std::string_view text) { return {detail::net::parse_mac<8>(text, "macaddr8")}; }
PGORM_DECL std::string macaddr8::to_string() const { return detail::net::format_mac(bytes); }

}  // namespace pgorm
