#pragma once
// Bodies of migrate/conventions.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/migrate/conventions.hpp>

namespace pgorm::migrate {

namespace rules {

PGORM_DECL const std::vector<std::string>& all() {
    static const std::vector<std::string> names{
        timestamptz, bigint, timestamps, updated_at_trigger, fk_index, text_pk, pk_prefix_check, enum_table_name, rls};
    return names;
}

}  // namespace rules

PGORM_DECL std::string to_string(const finding& f) {
    return f.table + (f.column.empty() ? "" : "." + f.column) + ": " + f.message + " [" + f.rule + "]";
}

namespace detail {

PGORM_DECL convention_catalog read_convention_catalog(connection& c) {
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

PGORM_DECL table_facts facts_of(const convention_catalog& cat, const std::string& table, bool rls_on) {
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

PGORM_DECL void check_column_types(const table_facts& t, finding_list& out) {
    for (const auto& name : t.column_order) {
        const column_facts& col = t.columns.at(name);
        if (col.oid == oid_timestamp || col.oid == oid_timestamp_array)
            out.add(rules::timestamptz, t.name, name,
                    "is " + col.type + "; use timestamptz (timestamp with time zone)");
        if (col.oid == oid_int2 || col.oid == oid_int4 || col.oid == oid_int2_array || col.oid == oid_int4_array)
            out.add(rules::bigint, t.name, name, "is " + col.type + "; use bigint");
    }
}

PGORM_DECL void check_timestamps(const table_facts& t, finding_list& out) {
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

PGORM_DECL void check_updated_at_trigger(const table_facts& t, const convention_catalog& cat,
                                         const convention_options& opts, finding_list& out) {
    if (!t.columns.count("updated_at")) return;
    for (const auto& [table, function] : cat.triggers)
        if (table == t.name && function == opts.trigger_function) return;
    out.add(rules::updated_at_trigger, t.name, "updated_at",
            "has no trigger: add CREATE TRIGGER updated_at BEFORE UPDATE ON " + t.name +
                " FOR EACH ROW EXECUTE PROCEDURE " + opts.trigger_function + "()");
}

PGORM_DECL void check_fk_index(const table_facts& t, const convention_catalog& cat, finding_list& out) {
    for (const auto& [table, constraint, columns] : cat.unindexed_foreign_keys)
        if (table == t.name)
            out.add(rules::fk_index, t.name, columns,
                    "foreign key " + constraint + " has no index: add CREATE INDEX ON " + t.name + "(" + columns + ")");
}

PGORM_DECL std::string id_prefix(const std::string& default_expr, const std::string& id_function) {
    std::string head = id_function + "('";
    if (!default_expr.starts_with(head)) return {};
    auto end = default_expr.find('\'', head.size());
    return end == std::string::npos ? std::string() : default_expr.substr(head.size(), end - head.size());
}

PGORM_DECL bool has_prefix_check(const table_facts& t, const convention_catalog& cat, const std::string& prefix) {
    for (const auto& [table, column, definition] : cat.checks)
        if (table == t.name && column == t.key && definition.find("~~") != std::string::npos &&
            (definition.find("'" + prefix + "\\_%'") != std::string::npos ||
             definition.find("'" + prefix + "_%'") != std::string::npos))
            return true;
    return false;
}

PGORM_DECL void check_pk_prefix(const table_facts& t, const convention_catalog& cat, const convention_options& opts,
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

PGORM_DECL void check_primary_key(const table_facts& t, const convention_catalog& cat, const convention_options& opts,
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

PGORM_DECL void check_enum_table_name(const table_facts& t, const convention_options& opts, bool is_enum,
                                      finding_list& out) {
    bool enum_shaped = t.column_order.size() == 1 && t.column_order[0] == "value" && t.key == "value";
    if (enum_shaped && !is_enum)
        out.add(rules::enum_table_name, t.name, "",
                "is an enum table (only a value key): name it " + t.name + opts.enum_suffix);
    if (is_enum && t.key != "value")
        out.add(rules::enum_table_name, t.name, "", "is named like an enum table but is not keyed by a value column");
}

PGORM_DECL void check_rls(const table_facts& t, const convention_options& opts, finding_list& out) {
    if (opts.tenant_column.empty() || !t.columns.count(opts.tenant_column) || t.rls_on) return;
    out.add(rules::rls, t.name, opts.tenant_column,
            "scopes rows by " + opts.tenant_column + " but row-level security is off: ALTER TABLE " + t.name +
                " ENABLE ROW LEVEL SECURITY and add a policy");
}

}  // namespace detail

PGORM_DECL std::vector<finding> check_conventions(connection& c, const convention_options& opts) {
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
