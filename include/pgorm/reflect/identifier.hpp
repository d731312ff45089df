#pragma once
// PostgreSQL's limit on names. An identifier (table, column, channel, role, savepoint, prepared
// statement...) and an enum label are at most NAMEDATALEN - 1 = 63 bytes (PostgreSQL docs 4.1.1
// "Identifiers and Key Words", 8.7.4 "Implementation Details" of enums). A longer identifier is
// not an error on the server: it is cut to 63 bytes with only a NOTICE, so the column a struct
// member names comes back under another name, LISTEN waits on another channel, and two long
// names can become one. pgorm refuses such a name before it reaches the server instead: at
// compile time for the names it knows then (described members, PGORM_TABLE names, described enum
// labels), with usage_error for names given at run time.
//
// The limit counts bytes of the server encoding; pgorm counts the bytes it sends (UTF-8 for the
// usual UTF8 server encoding, where the two agree).

#include <pgorm/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace pgorm {

/// NAMEDATALEN - 1: the longest identifier or enum label PostgreSQL keeps whole, in bytes.
inline constexpr std::size_t max_identifier_bytes = 63;

/// True when `name` is at most max_identifier_bytes bytes long.
constexpr bool fits_identifier_limit(std::string_view name) noexcept { return name.size() <= max_identifier_bytes; }

/// Throws usage_error when `name` is longer than PostgreSQL keeps. `what` says what the name is
/// ("LISTEN channel", "migrations table") and starts the message, which gives the length, the
/// limit and the name the server would have used instead.
inline void require_identifier_limit(std::string_view name, std::string_view what) {
    if (fits_identifier_limit(name)) return;
    throw usage_error("pgorm: " + std::string(what) + " \"" + std::string(name) + "\" is " +
                      std::to_string(name.size()) + " bytes long, over PostgreSQL's limit of " +
                      std::to_string(max_identifier_bytes) +
                      " bytes for identifiers (NAMEDATALEN-1); the server would silently truncate it to \"" +
                      std::string(name.substr(0, max_identifier_bytes)) + "\"");
}

}  // namespace pgorm
