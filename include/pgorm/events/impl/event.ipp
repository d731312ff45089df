#pragma once
// Bodies of events/event.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/events/event.hpp>

namespace pgorm::events {
namespace detail {

PGORM_DECL jsonb_text meta_param(const boost::json::object& meta) {
    if (meta.empty()) return jsonb_text("{}");
    return jsonb_text(boost::json::serialize(meta));
}

PGORM_DECL const jsonb_text& meta_param(const boost::json::object& meta, jsonb_text& scratch) {
    static const jsonb_text empty_object("{}");
    if (meta.empty()) return empty_object;
    scratch.text = boost::json::serialize(meta);
    return scratch;
}

PGORM_DECL std::optional<std::string> scope_of(const boost::json::object& meta, std::string_view key) {
    if (meta.empty()) return std::nullopt;  // the common case, without a call into Boost.JSON
    auto it = meta.find(key);
    if (it == meta.end() || it->value().is_null()) return std::nullopt;
    if (const auto* s = it->value().if_string()) return std::string(*s);
    return boost::json::serialize(it->value());
}

PGORM_DECL boost::json::object decode_meta(std::string_view text) {
    if (text == "{}") return {};
    return boost::json::parse(boost::json::string_view(text.data(), text.size())).as_object();
}

}  // namespace detail
}  // namespace pgorm::events
