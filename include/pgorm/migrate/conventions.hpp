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
inline const std::vector<std::string>& all() {
    static const std::vector<std::string> names{
        timestamptz, bigint, timestamps, updated_at_trigger, fk_index, text_pk, pk_prefix_check, enum_table_name, rls};
    return names;
}
}  // namespace rules

/// One broken rule: which, where (column empty for table-wide rules), and why.
struct finding {
    std::string rule, table, column, message;
    bool operator==(const finding&) const = default;
};

[[nodiscard]] inline std::string to_string(const finding& f) {
    return f.table + (f.column.empty() ? "" : "." + f.column) + ": " + f.message + " [" + f.rule + "]";
}

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

inline convention_catalog read_convention_catalog(connection& c) {
    convention_catalog cat;
    cat.columns =
        c.query<std::tuple<std::string, std::string, std::string, std::int64_t, bool, std::string, std::string>>(R"(
        SELECT t.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.atttypid::int8, a.attnotnull,
               coalesce(co.collname::text, ''), coalesce(pg_get_expr(d.adbin, d.adrelid), '')
          FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
          LEFT JOIN pg_collation co ON co.oid = a.attcollation
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE t.relnamespace = 'public'::regnamespace AND t.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY t.relname, a.attnum)");
    cat.tables = c.query<std::tuple<std::string, bool>>(
        "SELECT relname::text, relrowsecurity FROM pg_class WHERE relnamespace = 'public'::regnamespace "
        "AND relkind = 'r' ORDER BY relname");
    cat.keys = c.query<std::tuple<std::string, std::string, std::int64_t>>(R"(
        SELECT t.relname::text, (SELECT string_agg(a.attname::text, ',' ORDER BY a.attnum) FROM pg_attribute a
                                  WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)),
               cardinality(k.conkey)::int8
          FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
         WHERE t.relnamespace = 'public'::regnamespace AND k.contype = 'p')");
    cat.checks = c.query<std::tuple<std::string, std::string, std::string>>(R"(
        SELECT t.relname::text, a.attname::text, pg_get_constraintdef(k.oid)
          FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
         WHERE t.relnamespace = 'public'::regnamespace AND k.contype = 'c' AND cardinality(k.conkey) = 1)");
    cat.triggers = c.query<std::tuple<std::string, std::string>>(R"(
        SELECT t.relname::text, p.proname::text
          FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_proc p ON p.oid = g.tgfoid
         WHERE t.relnamespace = 'public'::regnamespace AND NOT g.tgisinternal
           AND (g.tgtype & 1) <> 0 AND (g.tgtype & 2) <> 0 AND (g.tgtype & 16) <> 0)");
    cat.unindexed_foreign_keys = c.query<std::tuple<std::string, std::string, std::string>>(R"(
        SELECT t.relname::text, k.conname::text,
               (SELECT string_agg(a.attname::text, ', ' ORDER BY a.attnum) FROM pg_attribute a
                 WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey))
          FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
         WHERE t.relnamespace = 'public'::regnamespace AND k.contype = 'f'
           AND NOT EXISTS (
               SELECT 1 FROM pg_index i WHERE i.indrelid = k.conrelid AND i.indpred IS NULL
                  AND (i.indkey::int2[])[0:cardinality(k.conkey) - 1] @> k.conkey
                  AND (i.indkey::int2[])[0:cardinality(k.conkey) - 1] <@ k.conkey))");
    return cat;
}

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

inline table_facts facts_of(const convention_catalog& cat, const std::string& table, bool rls_on) {
    table_facts t{table, rls_on, {}, {}, {}, 0};
    for (const auto& [owner, name, type, oid, not_null, collation, def] : cat.columns)
        if (owner == table) {
            t.columns[name] = column_facts{type, oid, not_null, collation, def};
            t.column_order.push_back(name);
        }
    for (const auto& [owner, key, count] : cat.keys)
        if (owner == table) t.key = key, t.key_count = count;
    return t;
}

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
inline void check_column_types(const table_facts& t, finding_list& out) {
    for (const auto& name : t.column_order) {
        const column_facts& col = t.columns.at(name);
        if (col.oid == oid_timestamp || col.oid == oid_timestamp_array)
            out.add(rules::timestamptz, t.name, name,
                    "is " + col.type + "; use timestamptz (timestamp with time zone)");
        if (col.oid == oid_int2 || col.oid == oid_int4 || col.oid == oid_int2_array || col.oid == oid_int4_array)
            out.add(rules::bigint, t.name, name, "is " + col.type + "; use bigint");
    }
}

// timestamps: created_at and updated_at, TIMESTAMPTZ NOT NULL.
inline void check_timestamps(const table_facts& t, finding_list& out) {
    for (const char* ts : {"created_at", "updated_at"}) {
        auto it = t.columns.find(ts);
        if (it == t.columns.end()) {
            out.add(rules::timestamps, t.name, ts,
                    "is missing: add " + std::string(ts) + " TIMESTAMPTZ NOT NULL DEFAULT now()");
        } else if (it->second.oid != oid_timestamptz || !it->second.not_null) {
            out.add(rules::timestamps, t.name, ts,
                    "is " + it->second.type + (it->second.not_null ? "" : " (nullable)") +
                        "; expected TIMESTAMPTZ NOT NULL");
        }
    }
}

// updated_at_trigger: a table with updated_at has a BEFORE UPDATE row trigger calling the trigger function.
inline void check_updated_at_trigger(const table_facts& t, const convention_catalog& cat,
                                     const convention_options& opts, finding_list& out) {
    if (!t.columns.count("updated_at")) return;
    for (const auto& [table, function] : cat.triggers)
        if (table == t.name && function == opts.trigger_function) return;
    out.add(rules::updated_at_trigger, t.name, "updated_at",
            "has no trigger: add CREATE TRIGGER updated_at BEFORE UPDATE ON " + t.name +
                " FOR EACH ROW EXECUTE PROCEDURE " + opts.trigger_function + "()");
}

// fk_index: every foreign key's columns lead some index.
inline void check_fk_index(const table_facts& t, const convention_catalog& cat, finding_list& out) {
    for (const auto& [table, constraint, columns] : cat.unindexed_foreign_keys)
        if (table == t.name)
            out.add(rules::fk_index, t.name, columns,
                    "foreign key " + constraint + " has no index: add CREATE INDEX ON " + t.name + "(" + columns + ")");
}

// The prefix in a key default of the form id_function('<prefix>'...), or empty.
inline std::string id_prefix(const std::string& default_expr, const std::string& id_function) {
    std::string head = id_function + "('";
    if (!default_expr.starts_with(head)) return {};
    auto end = default_expr.find('\'', head.size());
    return end == std::string::npos ? std::string() : default_expr.substr(head.size(), end - head.size());
}

// Whether `key` has a CHECK (key LIKE '<prefix>\_%') (deparsed as `~~`; the escape may be dropped).
inline bool has_prefix_check(const table_facts& t, const convention_catalog& cat, const std::string& prefix) {
    for (const auto& [table, column, definition] : cat.checks)
        if (table == t.name && column == t.key && definition.find("~~") != std::string::npos &&
            (definition.find("'" + prefix + "\\_%'") != std::string::npos ||
             definition.find("'" + prefix + "_%'") != std::string::npos))
            return true;
    return false;
}

// pk_prefix_check: a TEXT key defaults to id_function('<prefix>') and is checked against that prefix.
inline void check_pk_prefix(const table_facts& t, const convention_catalog& cat, const convention_options& opts,
                            finding_list& out) {
    const column_facts& key = t.columns.at(t.key);
    std::string prefix = id_prefix(key.default_expr, opts.id_function);
    if (prefix.empty()) {
        out.add(rules::pk_prefix_check, t.name, t.key,
                "has no default " + opts.id_function +
                    "('<prefix>') (found: " + (key.default_expr.empty() ? "none" : key.default_expr) + ")");
    } else if (!has_prefix_check(t, cat, prefix)) {
        out.add(rules::pk_prefix_check, t.name, t.key,
                "has no CHECK (" + t.key + " LIKE '" + prefix + "\\_%') for its prefix");
    }
}

// text_pk (and, for a text key on a non-enum table, pk_prefix_check): one TEXT COLLATE "C" key column.
inline void check_primary_key(const table_facts& t, const convention_catalog& cat, const convention_options& opts,
                              bool is_enum, finding_list& out) {
    if (t.key_count == 0) {
        out.add(rules::text_pk, t.name, "", "has no primary key");
        return;
    }
    if (t.key_count > 1) {
        out.add(rules::text_pk, t.name, t.key, "has a composite primary key; use one TEXT COLLATE \"C\" id column");
        return;
    }
    const column_facts& key = t.columns.at(t.key);
    bool text_c = key.oid == oid_text && key.collation == "C";
    if (!text_c)
        out.add(rules::text_pk, t.name, t.key,
                "primary key is " + key.type + (key.collation.empty() ? "" : " COLLATE \"" + key.collation + "\"") +
                    "; use TEXT COLLATE \"C\"");
    if (text_c && !is_enum) check_pk_prefix(t, cat, opts, out);
}

// enum_table_name: a table that is only a `value` key is named *_enum, and the reverse.
inline void check_enum_table_name(const table_facts& t, const convention_options& opts, bool is_enum,
                                  finding_list& out) {
    bool enum_shaped = t.column_order.size() == 1 && t.column_order[0] == "value" && t.key == "value";
    if (enum_shaped && !is_enum)
        out.add(rules::enum_table_name, t.name, "",
                "is an enum table (only a value key): name it " + t.name + opts.enum_suffix);
    if (is_enum && t.key != "value")
        out.add(rules::enum_table_name, t.name, "", "is named like an enum table but is not keyed by a value column");
}

// rls: a table with the tenant column has row-level security enabled.
inline void check_rls(const table_facts& t, const convention_options& opts, finding_list& out) {
    if (opts.tenant_column.empty() || !t.columns.count(opts.tenant_column) || t.rls_on) return;
    out.add(rules::rls, t.name, opts.tenant_column,
            "scopes rows by " + opts.tenant_column + " but row-level security is off: ALTER TABLE " + t.name +
                " ENABLE ROW LEVEL SECURITY and add a policy");
}

}  // namespace detail

/// Checks every table of the public schema against the rules at the top of this file; findings
/// come sorted by table, rule and column. Throws sql_error / connection_lost from the catalog queries.
[[nodiscard]] inline std::vector<finding> check_conventions(connection& c, const convention_options& opts = {}) {
    const detail::convention_catalog cat = detail::read_convention_catalog(c);
    detail::finding_list out(opts);
    for (const auto& [table, rls_on] : cat.tables) {
        if (opts.ignore_tables.count(table)) continue;
        const detail::table_facts t = detail::facts_of(cat, table, rls_on);
        const bool is_enum = table.ends_with(opts.enum_suffix);
        detail::check_column_types(t, out);
        if (!is_enum) {
            detail::check_timestamps(t, out);
            detail::check_updated_at_trigger(t, cat, opts, out);
        }
        detail::check_fk_index(t, cat, out);
        detail::check_primary_key(t, cat, opts, is_enum, out);
        detail::check_enum_table_name(t, opts, is_enum, out);
        detail::check_rls(t, opts, out);
    }
    return std::move(out).sorted();
}

}  // namespace pgorm::migrate
