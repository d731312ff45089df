#pragma once
// tsvector: pgorm::tsvector, PostgreSQL's text spelling of a sorted list of lexemes
// ("'cat':3 'fat':2A,4"; docs 8.11.1).
//
// Sent as a text-format parameter with the tsvector OID: the server's tsvectorin parses it, so
// the text must be a tsvector literal, not a document (use to_tsvector() in SQL for that).
// Read from the binary form (tsvectorsend: int32 lexeme count, then per lexeme its
// NUL-terminated text, a uint16 position count and uint16 positions whose top two bits are the
// weight, 3 = A .. 0 = D), turned into the same text tsvectorout prints: every lexeme in single
// quotes with ' doubled and \ doubled, positions after ':' separated by ',', weight letters A-C
// (D is not printed). So a value read back equals the server's `::text` of it.

#include <pgorm/types/codec.hpp>
#include <pgorm/types/string.hpp>

#include <string>

namespace pgorm {

struct tsvector {
    std::string text;
    friend bool operator==(const tsvector&, const tsvector&) = default;
};

template <>
struct codec<tsvector> {
    static constexpr oid_t type_oid = oid::tsvector;
    static constexpr oid_t array_oid = 0;  // arrays go as text literals with OID 0
    static constexpr std::string_view sql_name = "tsvector";
    static constexpr int format = 0;
    static bool accepts(oid_t o) noexcept { return o == oid::tsvector; }
    static void encode_text(const tsvector& v, std::string& out) {
        detail::check_no_nul(v.text, "tsvector");
        out += v.text;
    }
    static void decode(std::string_view in, oid_t, tsvector& out) {
        wire::reader r(in, "tsvector");
        const auto count = r.read<std::int32_t>();
        if (count < 0) throw decode_error("pgorm: negative tsvector lexeme count on the wire");
        std::string s;
        for (std::int32_t i = 0; i < count; ++i) {
            if (i) s.push_back(' ');
            s.push_back('\'');
            for (char c = r.read<char>(); c != '\0'; c = r.read<char>()) {
                if (c == '\'' || c == '\\') s.push_back(c);
                s.push_back(c);
            }
            s.push_back('\'');
            const auto positions = r.read<std::uint16_t>();
            for (std::uint16_t p = 0; p < positions; ++p) {
                const auto pos = r.read<std::uint16_t>();
                s.push_back(p == 0 ? ':' : ',');
                s += std::to_string(pos & 0x3FFF);
                static constexpr char weight[] = {0, 'C', 'B', 'A'};  // D (0) prints nothing
                if (const char w = weight[pos >> 14]) s.push_back(w);
            }
        }
        if (!r.done()) throw decode_error("pgorm: trailing bytes after a tsvector value");
        out.text = std::move(s);
    }
};

}  // namespace pgorm
