#pragma once
// diff_models: compares described structs (PGORM_TABLE) with the live tables, the way Alembic's
// autogenerate compares models with a database, and drafts a migration for the differences.
//
// A member's expected column type is its codec's (codec<M>::type_oid / sql_name); std::optional<M>
// (any nullable codec) means the column allows NULL, anything else means NOT NULL. A type
// difference is reported when the member's codec cannot read the column's type (so a
// std::string member on a varchar column is fine, a std::int64_t member on a text column is not).

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/optional.hpp>
#include <pgorm/types/string.hpp>
#include <pgorm/migrate/migration_file.hpp>
#include <pgorm/reflect/table.hpp>
#include <pgorm/types/codec.hpp>

#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace pgorm::migrate {

enum class difference_kind { missing_table, missing_column, extra_column, type_mismatch, nullability_mismatch };

[[nodiscard]] PGORM_DECL const char* to_string(difference_kind k) noexcept;

/// One difference between a struct and its table, with the SQL that would fix it and undo the fix.
struct column_difference {
    difference_kind kind;
    std::string table, column;  // column empty for a missing table
    std::string expected;       // what the struct says ("bigint NOT NULL"), empty for an extra column
    std::string actual;         // what the database has, empty for a missing column or table
    std::string up, down;       // draft statements, without semicolons
};

[[nodiscard]] PGORM_DECL std::string to_string(const column_difference& d);

namespace detail {

struct live_column {
    oid_t type = 0;
    std::string type_name;
    bool nullable = true;
};

template <class M>
constexpr bool member_nullable() {
    return nullable_value<M>;
}

template <class T>
void diff_one(connection& c, std::vector<column_difference>& out) {
    using tbl = table<T>;
    const std::string name(tbl::name);
    const std::string qt = c.quote_identifier(name);
    std::map<std::string, live_column> live;
    std::vector<std::string> live_order;
    bool exists = c.query_value<bool>("SELECT to_regclass($1) IS NOT NULL", qt);
    if (exists) {
        for (auto& [col, type, type_name, nullable] : c.query<std::tuple<std::string, std::int64_t, std::string, bool>>(
                 "SELECT a.attname::text, a.atttypid::int8, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull "
                 "FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
                 "ORDER BY a.attnum",
                 qt)) {
            live[col] = {static_cast<oid_t>(type), type_name, nullable};
            live_order.push_back(col);
        }
    }

    std::vector<std::string> definitions;  // for a missing table
    std::vector<std::string> keys;
    tbl::for_each_column([&](std::size_t i, auto d) {
        using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
        static_assert(has_codec<M>, "pgorm: a member of a described table has no codec (specialise pgorm::codec)");
        const std::string col(d.name);
        const std::string qc = c.quote_identifier(col);
        const std::string sql_type(codec<M>::sql_name);
        const bool nullable = member_nullable<M>();
        const std::string expected = sql_type + (nullable ? "" : " NOT NULL");
        if (tbl::is_key[i]) keys.push_back(qc);
        definitions.push_back(qc + " " + expected);
        if (!exists) return;
        auto it = live.find(col);
        if (it == live.end()) {
            out.push_back({difference_kind::missing_column,
                           name,
                           col,
                           expected,
                           {},
                           "ALTER TABLE " + qt + " ADD COLUMN " + qc + " " + expected,
                           "ALTER TABLE " + qt + " DROP COLUMN " + qc});
            return;
        }
        const live_column& l = it->second;
        if (codec<M>::type_oid != 0 && !codec<M>::accepts(l.type))
            out.push_back(
                {difference_kind::type_mismatch, name, col, sql_type, l.type_name,
                 "ALTER TABLE " + qt + " ALTER COLUMN " + qc + " TYPE " + sql_type + " USING " + qc + "::" + sql_type,
                 "ALTER TABLE " + qt + " ALTER COLUMN " + qc + " TYPE " + l.type_name + " USING " + qc +
                     "::" + l.type_name});
        if (nullable != l.nullable) {
            std::string set = "ALTER TABLE " + qt + " ALTER COLUMN " + qc + " SET NOT NULL";
            std::string drop = "ALTER TABLE " + qt + " ALTER COLUMN " + qc + " DROP NOT NULL";
            out.push_back({difference_kind::nullability_mismatch, name, col, nullable ? "NULL allowed" : "NOT NULL",
                           l.nullable ? "NULL allowed" : "NOT NULL", nullable ? drop : set, nullable ? set : drop});
        }
        live.erase(it);
    });

    if (!exists) {
        std::string create = "CREATE TABLE " + qt + " (\n    ";
        for (std::size_t k = 0; k < definitions.size(); ++k) create += (k ? ",\n    " : "") + definitions[k];
        if (!keys.empty()) {
            create += ",\n    PRIMARY KEY (";
            for (std::size_t k = 0; k < keys.size(); ++k) create += (k ? ", " : "") + keys[k];
            create += ")";
        }
        out.push_back({difference_kind::missing_table, name, {}, "table", {}, create + "\n)", "DROP TABLE " + qt});
        return;
    }
    for (const auto& col : live_order) {
        auto it = live.find(col);
        if (it == live.end()) continue;
        const std::string qc = c.quote_identifier(col);
        std::string actual = it->second.type_name + (it->second.nullable ? "" : " NOT NULL");
        out.push_back({difference_kind::extra_column,
                       name,
                       col,
                       {},
                       actual,
                       "ALTER TABLE " + qt + " DROP COLUMN " + qc,
                       "ALTER TABLE " + qt + " ADD COLUMN " + qc + " " + actual});
    }
}

}  // namespace detail

/// The differences between each struct T (BOOST_DESCRIBE_STRUCT + PGORM_TABLE) and its table.
/// Reads the catalog only. Throws sql_error (by SQLSTATE, error.hpp), connection_lost.
template <class... T>
[[nodiscard]] std::vector<column_difference> diff_models(connection& c) {
    std::vector<column_difference> out;
    (detail::diff_one<T>(c, out), ...);
    return out;
}

/// A migration file's content (docs/migrations.md) that applies the differences and undoes them.
/// A draft: review it (data conversions, defaults for new NOT NULL columns) before applying.
[[nodiscard]] PGORM_DECL std::string draft_migration(const std::vector<column_difference>& diffs);

/// Writes `content` as a new migration `<next version>_<name>.sql` in `dir` and returns its path.
/// The version follows the highest in the folder, with the same zero padding (0001 when empty).
/// Throws migration_error for a name that is not lower-case letters, digits and underscores.
PGORM_DECL std::string write_new_migration(const std::string& dir, const std::string& name, const std::string& content);

}  // namespace pgorm::migrate

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/migrate/impl/model_diff.ipp>
#endif
