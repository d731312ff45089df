#pragma once
// Bodies of bus/model.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/bus/model.hpp>

namespace pgorm::bus {

PGORM_DECL bool batch_info::finished() const noexcept {
    return status == batch_status::COMPLETED || status == batch_status::COMPLETED_WITH_FAILURES;
}

}  // namespace pgorm::bus

namespace pgorm::bus {
namespace detail {

PGORM_DECL void check_domain(std::string_view domain) {
    bool ok = !domain.empty() && domain.size() <= 37;
    for (char ch : domain) ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
    if (!ok)
        throw usage_error("pgorm: invalid command bus domain '" + std::string(domain) +
                          "': use 1 to 37 characters from a-z, 0-9 and _ (its queues are <domain>__commands and "
                          "<domain>__replies, and pgmq names are at most 47 characters)");
}

PGORM_DECL std::string domain_function(std::string_view domain, std::string_view what) {
    return "commandbus.\"" + std::string(domain) + "__" + std::string(what) + "\"";
}

PGORM_DECL void check_command_type(std::string_view type) {
    if (type.empty()) throw usage_error("pgorm: a command type must not be empty");
}

}  // namespace detail
}  // namespace pgorm::bus
