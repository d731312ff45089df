#pragma once
// xml: pgorm::xml, the document's text (UTF-8).
//
// Binary both ways, and the binary form is the text: xml_send writes the document converted to
// the client encoding, and xml_recv reads the bytes as UTF-8 unless the document's own
// declaration names another encoding (PostgreSQL's xml.c). pgorm connections always use
// client_encoding UTF8, so the bytes are the std::string's. The server parses what it receives
// (xml_recv, with the session's xmloption): a malformed document is its error, a
// pgorm::data_exception. Keep an `encoding="..."` declaration out of documents or make it UTF-8.

#include <pgorm/types/codec.hpp>
#include <pgorm/types/string.hpp>

#include <string>

namespace pgorm {

struct xml {
    std::string text;
    friend bool operator==(const xml&, const xml&) = default;
};

template <>
struct codec<xml> {
    static constexpr oid_t type_oid = oid::xml;
    static constexpr oid_t array_oid = oid::xml_array;
    static constexpr std::string_view sql_name = "xml";
    static bool accepts(oid_t o) noexcept { return o == oid::xml; }
    static void encode(const xml& v, std::string& out) {
        detail::check_no_nul(v.text, "xml");
        out += v.text;
    }
    static void encode_text(const xml& v, std::string& out) { encode(v, out); }
    static void decode(std::string_view in, oid_t, xml& out) { out.text.assign(in); }
};

}  // namespace pgorm
