#pragma once
// check_conventions: schema rules for a multi-tenant PostgreSQL application, checked against a
// live database's catalogs. The names the rules look for (tenant column, id and trigger functions,
// enum suffix) are convention_options with documented defaults.
//
// Rules (each a name that options can switch off everywhere or for single tables):
//   timestamptz        no `timestamp without time zone` column
//   bigint             no smallint/integer column: BIGINT avoids overflows
//   timestamps         created_at and updated_at, TIMESTAMPTZ NOT NULL (not on *_enum tables)
//   updated_at_trigger a BEFORE UPDATE FOR EACH ROW trigger calling updated_at() where updated_at exists
//   fk_index           every foreign key's columns lead some (non-partial) index
//   text_pk            a single-column TEXT COLLATE "C" primary key
//   pk_prefix_check    that key defaults to generate_id('<prefix>') and has CHECK (key LIKE '<prefix>\_%')
//                      (not on *_enum tables, whose key is the value itself)
//   enum_table_name    a table that is only a `value` key is named *_enum, and a *_enum table is keyed by `value`
//   rls                a table with the tenant column (default organization_id) has row-level security enabled
// The migrator's bookkeeping table is ignored by default.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace pgorm::migrate {

namespace rules {
inline constexpr const char* timestamptz = "timestamptz";
inline constexpr const char* bigint = "bigint";
inline constexpr const char* timestamps = "timestamps";
inline constexpr const char* updated_at_trigger = "updated_at_trigger";
inline constexpr const char* fk_index = "fk_index";
inline constexpr const char* text_pk = "text_pk";
inline constexpr const char* pk_prefix_check = "pk_prefix_check";
inline constexpr const char* enum_table_name = "enum_table_name";
inline constexpr const char* rls = "rls";
PGORM_DECL const std::vector<std::string>& all();
}  // namespace rules

/// One broken rule: which, where (column empty for table-wide rules), and why.
struct finding {
    std::string rule, table, column, message;
    bool operator==(const finding&) const = default;
};

[[nodiscard]] PGORM_DECL std::string to_string(const finding& f);

/// What check_conventions checks, and the names it looks for. The name defaults are the
/// conventions the rules were written for (a TEXT key made by generate_id('<prefix>'), an
/// updated_at() trigger function, *_enum lookup tables, organization_id as the tenant column);
/// they are defaults, not requirements: set them to your schema's names.
struct convention_options {
    /// Rules off for every table.
    std::set<std::string> disabled_rules;
    /// Table -> rules off for it ("*": all of them).
    std::map<std::string, std::set<std::string>> exemptions;
    /// Tables not checked at all (the migrator's bookkeeping table).
    std::set<std::string> ignore_tables{"pgorm_migrations"};
    /// Name suffix of lookup tables keyed by their value (enum_table_name; exempt from timestamps,
    /// updated_at_trigger and pk_prefix_check).
    std::string enum_suffix = "_enum";
    /// The function the BEFORE UPDATE trigger calls to set updated_at (updated_at_trigger).
    std::string trigger_function = "updated_at";
    /// The function whose call, with a prefix literal, is a text key's default (pk_prefix_check).
    std::string id_function = "generate_id";
    /// The column that scopes a row to a tenant: a table that has it must enable row-level
    /// security (rls). Empty: the rls rule finds nothing.
    std::string tenant_column = "organization_id";

    /// Switches `rule` off for `table`. Throws usage_error for a rule name that does not exist.
    convention_options& exempt(const std::string& table, const std::string& rule) {
        check_rule(rule);
        exemptions[table].insert(rule);
        return *this;
    }
    /// Switches `rule` off everywhere.
    convention_options& disable(const std::string& rule) {
        check_rule(rule);
        disabled_rules.insert(rule);
        return *this;
    }
    /// Whether `rule` is checked on `table`.
    [[nodiscard]] bool applies(const std::string& rule, const std::string& table) const {
        if (disabled_rules.count(rule) || ignore_tables.count(table)) return false;
        auto it = exemptions.find(table);
        return it == exemptions.end() || (!it->second.count(rule) && !it->second.count("*"));
    }
    static void check_rule(const std::string& rule) {
        const auto& all = rules::all();
        if (rule != "*" && std::find(all.begin(), all.end(), rule) == all.end()) {
            std::string known;
            for (const auto& r : all) known += (known.empty() ? "" : ", ") + r;
            throw usage_error("pgorm: unknown schema convention rule '" + rule + "' (rules: " + known + ")");
        }
    }
};

namespace detail {

// The catalog facts the rules read, fetched once for the whole schema.
struct convention_catalog {
    // table, column, type name, type oid, not null, collation, default
    std::vector<std::tuple<std::string, std::string, std::string, std::int64_t, bool, std::string, std::string>>
        columns;
    // table, row-level security enabled
    std::vector<std::tuple<std::string, bool>> tables;
    // table, key columns (comma separated), number of key columns
    std::vector<std::tuple<std::string, std::string, std::int64_t>> keys;
    // table, column, check definition: single-column CHECK constraints
    std::vector<std::tuple<std::string, std::string, std::string>> checks;
    // table, trigger function: row-level BEFORE UPDATE triggers
    std::vector<std::tuple<std::string, std::string>> triggers;
    // table, constraint, columns: foreign keys that no index leads with
    std::vector<std::tuple<std::string, std::string, std::string>> unindexed_foreign_keys;
};

PGORM_DECL convention_catalog read_convention_catalog(connection& c);

// One column as the rules see it.
struct column_facts {
    std::string type;  // format_type text, for messages
    std::int64_t oid = 0;
    bool not_null = false;
    std::string collation, default_expr;
};

// One table as the rules see it: its columns by name and in order, and its primary key.
struct table_facts {
    std::string name;
    bool rls_on = false;
    std::map<std::string, column_facts> columns;
    std::vector<std::string> column_order;
    std::string key;  // key column names, comma separated
    std::int64_t key_count = 0;
};

PGORM_DECL table_facts facts_of(const convention_catalog& cat, const std::string& table, bool rls_on);

// Collects findings, dropping those of rules switched off for their table.
class finding_list {
public:
    explicit finding_list(const convention_options& opts) : opts_(opts) {}
    void add(const char* rule, const std::string& table, const std::string& column, std::string message) {
        if (opts_.applies(rule, table)) out_.push_back({rule, table, column, std::move(message)});
    }
    std::vector<finding> sorted() && {
        std::sort(out_.begin(), out_.end(), [](const finding& a, const finding& b) {
            return std::tie(a.table, a.rule, a.column) < std::tie(b.table, b.rule, b.column);
        });
        return std::move(out_);
    }

private:
    const convention_options& opts_;
    std::vector<finding> out_;
};

// Type OIDs from pg_type (PostgreSQL docs, "System Catalogs", pg_type; src/include/catalog/pg_type.dat).
inline constexpr std::int64_t oid_int2 = 21, oid_int4 = 23, oid_int2_array = 1005, oid_int4_array = 1007;
inline constexpr std::int64_t oid_text = 25, oid_timestamp = 1114, oid_timestamp_array = 1115, oid_timestamptz = 1184;

// timestamptz and bigint: column types to avoid.
PGORM_DECL void check_column_types(const table_facts& t, finding_list& out);

// timestamps: created_at and updated_at, TIMESTAMPTZ NOT NULL.
PGORM_DECL void check_timestamps(const table_facts& t, finding_list& out);

// updated_at_trigger: a table with updated_at has a BEFORE UPDATE row trigger calling the trigger function.
PGORM_DECL void check_updated_at_trigger(const table_facts& t, const convention_catalog& cat,
                                         const convention_options& opts, finding_list& out);

// fk_index: every foreign key's columns lead some index.
PGORM_DECL void check_fk_index(const table_facts& t, const convention_catalog& cat, finding_list& out);

// The prefix in a key default of the form id_function('<prefix>'...), or empty.
PGORM_DECL std::string id_prefix(const std::string& default_expr, const std::string& id_function);

// Whether `key` has a CHECK (key LIKE '<prefix>\_%') (deparsed as `~~`; the escape may be dropped).
PGORM_DECL bool has_prefix_check(const table_facts& t, const convention_catalog& cat, const std::string& prefix);

// pk_prefix_check: a TEXT key defaults to id_function('<prefix>') and is checked against that prefix.
PGORM_DECL void check_pk_prefix(const table_facts& t, const convention_catalog& cat, const convention_options& opts,
                                finding_list& out);

// text_pk (and, for a text key on a non-enum table, pk_prefix_check): one TEXT COLLATE "C" key column.
PGORM_DECL void check_primary_key(const table_facts& t, const convention_catalog& cat, const convention_options& opts,
                                  bool is_enum, finding_list& out);

// enum_table_name: a table that is only a `value` key is named *_enum, and the reverse.
PGORM_DECL void check_enum_table_name(const table_facts& t, const convention_options& opts, bool is_enum,
                                      finding_list& out);

// rls: a table with the tenant column has row-level security enabled.
PGORM_DECL void check_rls(const table_facts& t, const convention_options& opts, finding_list& out);

}  // namespace detail

/// Checks every table of the public schema against the rules at the top of this file; findings
/// come sorted by table, rule and column. Throws sql_error / connection_lost from the catalog queries.
[[nodiscard]] PGORM_DECL std::vector<finding> check_conventions(connection& c, const convention_options& opts = {});

}  // namespace pgorm::migrate

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/migrate/impl/conventions.ipp>
#endif
