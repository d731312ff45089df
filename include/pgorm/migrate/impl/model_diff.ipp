#pragma once
// Bodies of migrate/model_diff.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/migrate/model_diff.hpp>

#include <filesystem>
#include <fstream>

namespace pgorm::migrate {

PGORM_DECL const char* to_string(difference_kind k) noexcept {
    switch (k) {
        case difference_kind::missing_table: return "missing table";
        case difference_kind::missing_column: return "missing column";
        case difference_kind::extra_column: return "extra column";
        case difference_kind::type_mismatch: return "type mismatch";
        case difference_kind::nullability_mismatch: return "nullability mismatch";
    }
    return "?";
}

PGORM_DECL std::string to_string(const column_difference& d) {
    std::string s = d.table + (d.column.empty() ? "" : "." + d.column) + ": " + to_string(d.kind);
    if (!d.expected.empty()) s += ", model: " + d.expected;
    if (!d.actual.empty()) s += ", database: " + d.actual;
    return s;
}

PGORM_DECL std::string draft_migration(const std::vector<column_difference>& diffs) {
    std::string s = "-- Drafted by pgorm::migrate::diff_models: review before applying.\n-- migrate:up\n";
    for (const auto& d : diffs) s += "-- " + to_string(d) + "\n" + d.up + ";\n";
    s += "\n-- migrate:down\n";
    for (auto it = diffs.rbegin(); it != diffs.rend(); ++it) s += it->down + ";\n";
    return s;
}

PGORM_DECL std::string write_new_migration(const std::string& dir, const std::string& name,
                                           const std::string& content) {
    if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
        throw migration_error("pgorm: migration name '" + name +
                              "' must be lower-case letters, digits and underscores");
    std::filesystem::create_directories(dir);
    auto existing = load_migrations(dir);
    std::size_t width = 4;
    unsigned long long next = 1;
    if (!existing.empty()) {
        const std::string& top = existing.back().version;
        width = top.size();
        next = std::stoull(top) + 1;
    }
    std::string version = std::to_string(next);
    if (version.size() < width) version.insert(0, width - version.size(), '0');
    std::string path = (std::filesystem::path(dir) / (version + "_" + name + ".sql")).string();
    std::ofstream f(path, std::ios::binary);
    if (!f) throw migration_error("pgorm: cannot write " + path);
    f << content;
    return path;
}

}  // namespace pgorm::migrate
