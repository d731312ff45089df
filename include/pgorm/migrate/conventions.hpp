#pragma once
// check_conventions: seed 002's schema rules, checked against a live database's catalogs.
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
//   rls                a table with an organization_id column has row-level security enabled
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
    static const std::vector<std::string> names{timestamptz, bigint,  timestamps,      updated_at_trigger, fk_index,
                                                text_pk,     pk_prefix_check, enum_table_name, rls};
    return names;
}
}  // namespace rules

/// One broken rule: which, where (column empty for table-wide rules), and why.
struct finding {
    std::string rule, table, column, message;
    bool operator==(const finding&) const = default;
};

inline std::string to_string(const finding& f) {
    return f.table + (f.column.empty() ? "" : "." + f.column) + ": " + f.message + " [" + f.rule + "]";
}

struct convention_options {
    std::set<std::string> disabled_rules;                     // off for every table
    std::map<std::string, std::set<std::string>> exemptions;  // table -> rules off for it ("*": all)
    std::set<std::string> ignore_tables{"pgorm_migrations"};
    std::string enum_suffix = "_enum";
    std::string trigger_function = "updated_at";
    std::string id_function = "generate_id";
    std::string organization_column = "organization_id";

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
    bool applies(const std::string& rule, const std::string& table) const {
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

/// Checks every table of the public schema; findings come sorted by table, rule and column.
inline std::vector<finding> check_conventions(connection& c, const convention_options& opts = {}) {
    std::vector<finding> out;
    auto add = [&](const char* rule, const std::string& table, const std::string& column, std::string message) {
        if (opts.applies(rule, table)) out.push_back({rule, table, column, std::move(message)});
    };
    auto is_enum = [&](const std::string& t) { return t.ends_with(opts.enum_suffix); };

    // table, column, type name, type oid, not null, collation, default
    auto columns = c.query<std::tuple<std::string, std::string, std::string, std::int64_t, bool, std::string, std::string>>(R"(
        SELECT t.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.atttypid::int8, a.attnotnull,
               coalesce(co.collname::text, ''), coalesce(pg_get_expr(d.adbin, d.adrelid), '')
          FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
          LEFT JOIN pg_collation co ON co.oid = a.attcollation
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE t.relnamespace = 'public'::regnamespace AND t.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY t.relname, a.attnum)");
    auto tables = c.query<std::tuple<std::string, bool>>(
        "SELECT relname::text, relrowsecurity FROM pg_class WHERE relnamespace = 'public'::regnamespace "
        "AND relkind = 'r' ORDER BY relname");
    // table, key columns (comma separated), number of key columns
    auto keys = c.query<std::tuple<std::string, std::string, std::int64_t>>(R"(
        SELECT t.relname::text, (SELECT string_agg(a.attname::text, ',' ORDER BY a.attnum) FROM pg_attribute a
                                  WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)),
               cardinality(k.conkey)::int8
          FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
         WHERE t.relnamespace = 'public'::regnamespace AND k.contype = 'p')");
    // table, column, check definition: single-column CHECK constraints
    auto checks = c.query<std::tuple<std::string, std::string, std::string>>(R"(
        SELECT t.relname::text, a.attname::text, pg_get_constraintdef(k.oid)
          FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
         WHERE t.relnamespace = 'public'::regnamespace AND k.contype = 'c' AND cardinality(k.conkey) = 1)");
    // table, trigger function: row-level BEFORE UPDATE triggers
    auto triggers = c.query<std::tuple<std::string, std::string>>(R"(
        SELECT t.relname::text, p.proname::text
          FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_proc p ON p.oid = g.tgfoid
         WHERE t.relnamespace = 'public'::regnamespace AND NOT g.tgisinternal
           AND (g.tgtype & 1) <> 0 AND (g.tgtype & 2) <> 0 AND (g.tgtype & 16) <> 0)");
    // table, constraint, columns: foreign keys that no index leads with
    auto unindexed = c.query<std::tuple<std::string, std::string, std::string>>(R"(
        SELECT t.relname::text, k.conname::text,
               (SELECT string_agg(a.attname::text, ', ' ORDER BY a.attnum) FROM pg_attribute a
                 WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey))
          FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
         WHERE t.relnamespace = 'public'::regnamespace AND k.contype = 'f'
           AND NOT EXISTS (
               SELECT 1 FROM pg_index i WHERE i.indrelid = k.conrelid AND i.indpred IS NULL
                  AND (i.indkey::int2[])[0:cardinality(k.conkey) - 1] @> k.conkey
                  AND (i.indkey::int2[])[0:cardinality(k.conkey) - 1] <@ k.conkey))");

    for (auto& [table, rls_on] : tables) {
        if (opts.ignore_tables.count(table)) continue;
        std::map<std::string, std::tuple<std::string, std::int64_t, bool, std::string, std::string>> cols;
        std::vector<std::string> order;
        for (auto& [t, name, type, oid, notnull, coll, def] : columns)
            if (t == table) {
                cols[name] = {type, oid, notnull, coll, def};
                order.push_back(name);
            }

        for (auto& name : order) {
            auto& [type, oid, notnull, coll, def] = cols[name];
            if (oid == 1114 || oid == 1115)
                add(rules::timestamptz, table, name, "is " + type + "; use timestamptz (timestamp with time zone)");
            if (oid == 21 || oid == 23 || oid == 1005 || oid == 1007)
                add(rules::bigint, table, name, "is " + type + "; use bigint");
        }

        if (!is_enum(table)) {
            for (const char* ts : {"created_at", "updated_at"}) {
                auto it = cols.find(ts);
                if (it == cols.end()) add(rules::timestamps, table, ts, "is missing: add " + std::string(ts) + " TIMESTAMPTZ NOT NULL DEFAULT now()");
                else if (std::get<1>(it->second) != 1184 || !std::get<2>(it->second))
                    add(rules::timestamps, table, ts, "is " + std::get<0>(it->second) +
                        (std::get<2>(it->second) ? "" : " (nullable)") + "; expected TIMESTAMPTZ NOT NULL");
            }
            if (cols.count("updated_at")) {
                bool has = std::any_of(triggers.begin(), triggers.end(), [&](auto& tr) {
                    return std::get<0>(tr) == table && std::get<1>(tr) == opts.trigger_function;
                });
                if (!has)
                    add(rules::updated_at_trigger, table, "updated_at",
                        "has no trigger: add CREATE TRIGGER updated_at BEFORE UPDATE ON " + table +
                            " FOR EACH ROW EXECUTE PROCEDURE " + opts.trigger_function + "()");
            }
        }

        for (auto& [t, name, columns_list] : unindexed)
            if (t == table)
                add(rules::fk_index, table, columns_list,
                    "foreign key " + name + " has no index: add CREATE INDEX ON " + table + "(" + columns_list + ")");

        std::string key;
        std::int64_t key_count = 0;
        for (auto& [t, k, n] : keys)
            if (t == table) key = k, key_count = n;
        if (key_count == 0) {
            add(rules::text_pk, table, "", "has no primary key");
        } else if (key_count > 1) {
            add(rules::text_pk, table, key, "has a composite primary key; use one TEXT COLLATE \"C\" id column");
        } else {
            auto& [type, oid, notnull, coll, def] = cols[key];
            bool text_c = oid == 25 && coll == "C";
            if (!text_c)
                add(rules::text_pk, table, key, "primary key is " + type + (coll.empty() ? "" : " COLLATE \"" + coll + "\"") +
                                                    "; use TEXT COLLATE \"C\"");
            if (!is_enum(table) && text_c) {
                std::string head = opts.id_function + "('";
                std::string prefix;
                if (def.starts_with(head)) {
                    auto end = def.find('\'', head.size());
                    if (end != std::string::npos) prefix = def.substr(head.size(), end - head.size());
                }
                if (prefix.empty()) {
                    add(rules::pk_prefix_check, table, key,
                        "has no default " + opts.id_function + "('<prefix>') (found: " + (def.empty() ? "none" : def) + ")");
                } else {
                    bool checked = std::any_of(checks.begin(), checks.end(), [&](auto& ch) {
                        const std::string& d = std::get<2>(ch);
                        return std::get<0>(ch) == table && std::get<1>(ch) == key && d.find("~~") != std::string::npos &&
                               (d.find("'" + prefix + "\\_%'") != std::string::npos ||
                                d.find("'" + prefix + "_%'") != std::string::npos);
                    });
                    if (!checked)
                        add(rules::pk_prefix_check, table, key,
                            "has no CHECK (" + key + " LIKE '" + prefix + "\\_%') for its prefix");
                }
            }
        }

        bool enum_shaped = order.size() == 1 && order[0] == "value" && key == "value";
        if (enum_shaped && !is_enum(table))
            add(rules::enum_table_name, table, "", "is an enum table (only a value key): name it " + table + opts.enum_suffix);
        if (is_enum(table) && key != "value")
            add(rules::enum_table_name, table, "", "is named like an enum table but is not keyed by a value column");

        if (cols.count(opts.organization_column) && !rls_on)
            add(rules::rls, table, opts.organization_column,
                "scopes rows to organizations but row-level security is off: ALTER TABLE " + table +
                    " ENABLE ROW LEVEL SECURITY and add a policy");
    }
    std::sort(out.begin(), out.end(), [](const finding& a, const finding& b) {
        return std::tie(a.table, a.rule, a.column) < std::tie(b.table, b.rule, b.column);
    });
    return out;
}

}  // namespace pgorm::migrate
