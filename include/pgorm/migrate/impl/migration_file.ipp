#pragma once
// Bodies of migrate/migration_file.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/migrate/migration_file.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pgorm::migrate {

PGORM_DECL std::string migration::file_name() const { return std::filesystem::path(path).filename().string(); }

namespace detail {

PGORM_DECL std::string hex64(std::uint64_t h) {
    static const char digits[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int k = 15; k >= 0; --k, h >>= 4) s[static_cast<std::size_t>(k)] = digits[h & 0xf];
    return s;
}

PGORM_DECL std::string content_checksum(std::string_view text) {
    std::uint64_t h = 1469598103934665603ull;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
        h = (h ^ static_cast<unsigned char>(text[i])) * 1099511628211ull;
    }
    return hex64(h);
}

PGORM_DECL std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

PGORM_DECL bool is_blank_or_comment(std::string_view line) {
    std::string t = trim(line);
    return t.empty() || t.starts_with("--");
}

}  // namespace detail

PGORM_DECL migration parse_migration(const std::string& path, std::string_view text) {
    migration m;
    m.path = path;
    std::string file = std::filesystem::path(path).filename().string();
    auto fail = [&](const std::string& why) { throw migration_error("pgorm: migration " + path + ": " + why); };

    if (!file.ends_with(".sql")) fail("the file name must end in .sql");
    std::string stem = file.substr(0, file.size() - 4);
    auto underscore = stem.find('_');
    m.version = stem.substr(0, underscore);
    if (m.version.empty() || m.version.find_first_not_of("0123456789") != std::string::npos ||
        underscore == std::string::npos || underscore + 1 == stem.size())
        fail("the file name must be <digits>_<name>.sql, e.g. 0001_create_users.sql");
    m.name = stem.substr(underscore + 1);
    m.checksum = detail::content_checksum(text);

    enum class part { preamble, up, down } in = part::preamble;
    std::istringstream lines{std::string(text)};
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        std::string t = detail::trim(line);
        if (t.starts_with("-- migrate:")) {
            std::string marker = t.substr(11);
            if (marker == "up") {
                if (in != part::preamble) fail("line " + std::to_string(number) + ": a second -- migrate:up");
                in = part::up;
                m.up_line = number + 1;
            } else if (marker == "down") {
                if (in != part::up)
                    fail("line " + std::to_string(number) + ": -- migrate:down must follow -- migrate:up");
                in = part::down;
                m.down_line = number + 1;
            } else if (marker == "no-transaction") {
                m.transactional = false;
            } else if (marker.starts_with("install ") && in != part::preamble) {
                std::string name = detail::trim(marker.substr(8));
                const std::string* ddl = find_library_schema(name);
                if (!ddl)
                    fail("line " + std::to_string(number) + ": unknown library schema '" + name +
                         "' (known: " + std::string(library_schema_names) + ")");
                (in == part::up ? m.up : m.down) += *ddl;
            } else {
                fail(
                    "line " + std::to_string(number) + ": unknown marker '" + t +
                    "' (expected -- migrate:up, -- migrate:down, -- migrate:no-transaction or, after -- migrate:up, -- migrate:install <library schema>)");
            }
            continue;
        }
        if (in == part::preamble) {
            if (!detail::is_blank_or_comment(line))
                fail("line " + std::to_string(number) + ": SQL before the -- migrate:up marker");
            continue;
        }
        (in == part::up ? m.up : m.down) += line + "\n";
    }
    if (in == part::preamble) fail("no -- migrate:up marker");
    if (split_sql(m.up, m.up_line, path).empty()) fail("the up part has no statements");
    if (m.has_down()) split_sql(m.down, m.down_line, path);  // unterminated quotes are reported at load
    return m;
}

PGORM_DECL std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw migration_error("pgorm: cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

PGORM_DECL bool version_less(const std::string& a, const std::string& b) {
    auto strip = [](const std::string& v) { return v.substr(std::min(v.find_first_not_of('0'), v.size())); };
    std::string x = strip(a), y = strip(b);
    return x.size() != y.size() ? x.size() < y.size() : x < y;
}

PGORM_DECL bool same_version(const std::string& a, const std::string& b) {
    return !version_less(a, b) && !version_less(b, a);
}

PGORM_DECL std::vector<migration> load_migrations(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw migration_error("pgorm: migrations folder " + dir + " does not exist");
    std::vector<migration> out;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
        std::string path = entry.path().string();
        out.push_back(parse_migration(path, read_file(path)));
    }
    std::sort(out.begin(), out.end(),
              [&](const migration& a, const migration& b) { return version_less(a.version, b.version); });
    for (std::size_t k = 1; k < out.size(); ++k)
        if (!version_less(out[k - 1].version, out[k].version))
            throw migration_error("pgorm: migrations " + out[k - 1].path + " and " + out[k].path +
                                  " have the same version " + out[k].version);
    return out;
}

PGORM_DECL std::string migrations_checksum(const std::vector<migration>& ms) {
    std::string all;
    for (const auto& m : ms) all += m.version + ":" + m.name + ":" + m.checksum + "\n";
    return detail::content_checksum(all);
}

}  // namespace pgorm::migrate
