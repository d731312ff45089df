#pragma once
// Bodies of migrate/dump.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/migrate/dump.hpp>

namespace pgorm::migrate {

namespace detail {

PGORM_DECL void section(std::string& out, std::string_view title) {
    out += "\n-- ---------------------------------------------------------------- ";
    out += title;
    out += "\n\n";
}

PGORM_DECL std::string strip_trailing_newlines(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

PGORM_DECL void refuse_unsupported(connection& c) {
    auto rows = c.query<row2>(R"(
        SELECT kind, name FROM (
            SELECT CASE relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                                WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table' END AS kind,
                   relname::text AS name
              FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('v', 'm', 'p', 'f')
            UNION ALL
            SELECT CASE typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain' ELSE 'composite type' END,
                   typname::text
              FROM pg_type t WHERE typnamespace = 'public'::regnamespace AND typtype IN ('e', 'd', 'c')
               AND (typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = typrelid) = 'c')
            UNION ALL
            SELECT 'aggregate or window function', proname::text
              FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prokind IN ('a', 'w')
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                               AND d.objid = pg_proc.oid AND d.deptype = 'e')
        ) x ORDER BY kind, name)");
    if (rows.empty()) return;
    std::string list;
    for (auto& [kind, name] : rows) list += (list.empty() ? "" : ", ") + kind + " " + name;
    throw migration_error("pgorm: the schema dump does not support " + list);
}

PGORM_DECL bool is_dumped(const dump_options& opts, const std::string& table) {
    return !opts.exclude_tables.count(table);
}

PGORM_DECL void emit_statements(std::string& out, const dump_options& opts, std::string_view title,
                                const std::vector<row2>& rows) {
    bool any = false;
    for (const auto& r : rows) {
        if (!is_dumped(opts, std::get<0>(r))) continue;
        if (!any) section(out, title);
        any = true;
        out += std::get<1>(r) + ";\n";
    }
}

PGORM_DECL void dump_extensions(connection& c, std::string& out) {
    auto extensions = c.query<std::string>(
        "SELECT quote_ident(extname) FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname");
    if (extensions.empty()) return;
    section(out, "extensions");
    for (const auto& e : extensions) out += "CREATE EXTENSION IF NOT EXISTS " + e + ";\n";
}

PGORM_DECL void dump_library_schemas(connection& c, std::string& out) {
    for (const auto& name : c.query<std::string>("SELECT nspname::text FROM pg_namespace ORDER BY nspname"))
        if (const std::string* ddl = find_library_schema(name)) {
            section(out, "library schema " + name + " (written by pgorm; -- migrate:install " + name + ")");
            out += *ddl;
        }
}

PGORM_DECL void dump_roles(connection& c, std::string& out) {
    const std::string wanted_roles = R"(
        WITH RECURSIVE used(oid) AS (
            SELECT unnest(polroles) FROM pg_policy p JOIN pg_class t ON t.oid = p.polrelid
             WHERE t.relnamespace = 'public'::regnamespace
            UNION SELECT (aclexplode(relacl)).grantee FROM pg_class WHERE relnamespace = 'public'::regnamespace
            UNION SELECT (aclexplode(proacl)).grantee FROM pg_proc WHERE pronamespace = 'public'::regnamespace
            UNION SELECT (aclexplode(nspacl)).grantee FROM pg_namespace WHERE nspname = 'public'),
        wanted(oid) AS (
            SELECT oid FROM used UNION SELECT m.member FROM pg_auth_members m JOIN wanted w ON w.oid = m.roleid),
        roles AS (
            SELECT r.* FROM pg_roles r JOIN wanted w ON w.oid = r.oid
             WHERE r.oid >= 16384 AND r.rolname <> current_user
               AND r.oid NOT IN (SELECT relowner FROM pg_class WHERE relnamespace = 'public'::regnamespace)
               AND r.oid NOT IN (SELECT proowner FROM pg_proc WHERE pronamespace = 'public'::regnamespace)))";
    auto roles = c.query<std::tuple<std::string, std::string, bool, bool, bool, bool, bool, bool>>(wanted_roles + R"(
        SELECT quote_ident(rolname), quote_literal(rolname), rolcanlogin, rolsuper, rolbypassrls,
               rolcreatedb, rolcreaterole, rolinherit
          FROM roles ORDER BY rolname)");
    auto memberships = c.query<std::string>(wanted_roles + R"(
        SELECT 'GRANT ' || quote_ident(g.rolname) || ' TO ' || quote_ident(m.rolname)
          FROM pg_auth_members a JOIN roles g ON g.oid = a.roleid JOIN roles m ON m.oid = a.member
         ORDER BY g.rolname, m.rolname)");
    if (roles.empty()) return;
    section(out, "roles (cluster-wide: created only where missing)");
    for (const auto& [ident, literal, login, super, bypass, createdb, createrole, inherit] : roles) {
        out += "DO $$\nBEGIN\n    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = " + literal +
               ") THEN\n        CREATE ROLE " + ident + (login ? " LOGIN" : " NOLOGIN") +
               (super ? " SUPERUSER" : " NOSUPERUSER") + (bypass ? " BYPASSRLS" : " NOBYPASSRLS") +
               (createdb ? " CREATEDB" : " NOCREATEDB") + (createrole ? " CREATEROLE" : " NOCREATEROLE") +
               (inherit ? " INHERIT" : " NOINHERIT") + ";\n    END IF;\nEND\n$$;\n";
    }
    for (const auto& m : memberships) out += m + ";\n";
}

PGORM_DECL void dump_functions(connection& c, std::string& out) {
    auto functions = c.query<std::string>(R"(
        SELECT pg_get_functiondef(p.oid) FROM pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace AND p.prokind IN ('f', 'p')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                           AND d.objid = p.oid AND d.deptype = 'e')
         ORDER BY p.proname, pg_get_function_identity_arguments(p.oid))");
    if (functions.empty()) return;
    section(out, "functions");
    for (std::size_t k = 0; k < functions.size(); ++k)
        out += (k ? "\n" : "") + strip_trailing_newlines(functions[k]) + ";\n";
}

PGORM_DECL void dump_sequences(connection& c, std::string& out) {
    auto sequences =
        c.query<std::tuple<std::string, std::string, std::string, std::string, std::string, std::string, bool>>(R"(
        SELECT quote_ident(s.relname), format_type(q.seqtypid, NULL), q.seqstart::text, q.seqincrement::text,
               q.seqmin::text, q.seqmax::text, q.seqcycle
          FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
         WHERE s.relnamespace = 'public'::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid
                           AND d.deptype = 'i')
         ORDER BY s.relname)");
    if (sequences.empty()) return;
    section(out, "sequences");
    for (const auto& [name, type, start, inc, min, max, cycle] : sequences)
        out += "CREATE SEQUENCE " + name + " AS " + type + " START WITH " + start + " INCREMENT BY " + inc +
               " MINVALUE " + min + " MAXVALUE " + max + (cycle ? " CYCLE" : "") + ";\n";
}

PGORM_DECL std::vector<column_row> read_columns(connection& c) {
    return c.query<column_row>(R"(
        SELECT t.relname::text, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
               CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation
                    THEN ' COLLATE ' || CASE WHEN co.collnamespace = 'pg_catalog'::regnamespace THEN ''
                                             ELSE quote_ident(co.collnamespace::regnamespace::text) || '.' END
                         || quote_ident(co.collname) ELSE '' END,
               coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attnotnull, a.attidentity::text, a.attgenerated::text
          FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid JOIN pg_type ty ON ty.oid = a.atttypid
          LEFT JOIN pg_collation co ON co.oid = a.attcollation
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE t.relnamespace = 'public'::regnamespace AND t.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY t.relname, a.attnum)");
}

PGORM_DECL std::string column_definition(const column_row& col) {
    const auto& [table, name, type, collate, def, notnull, identity, generated] = col;
    std::string line = name + " " + type + collate;
    if (generated == "s") line += " GENERATED ALWAYS AS (" + def + ") STORED";
    else if (identity == "a") line += " GENERATED ALWAYS AS IDENTITY";
    else if (identity == "d") line += " GENERATED BY DEFAULT AS IDENTITY";
    else if (!def.empty()) line += " DEFAULT " + def;
    if (notnull) line += " NOT NULL";
    return line;
}

PGORM_DECL bool is_data_table(const dump_options& opts, const std::string& table) {
    for (const auto& suffix : opts.data_table_suffixes)
        if (table.ends_with(suffix)) return true;
    return false;
}

PGORM_DECL void dump_table_rows(connection& c, std::string& out, const std::string& quoted_table,
                                const std::vector<std::string>& quoted_columns) {
    if (quoted_columns.empty()) return;
    std::string list, row;
    for (const auto& n : quoted_columns) {
        list += (list.empty() ? "" : ", ") + n;
        row += std::string(row.empty() ? "" : " || ', ' || ") + "quote_nullable(" + n + "::text)";
    }
    auto rows = c.query<std::string>("SELECT r FROM (SELECT " + row + " AS r FROM " + quoted_table +
                                     ") x ORDER BY r COLLATE \"C\"");
    if (rows.empty()) return;
    out += "INSERT INTO " + quoted_table + " (" + list + ") VALUES";
    for (std::size_t k = 0; k < rows.size(); ++k) out += (k ? ",\n    (" : "\n    (") + rows[k] + ")";
    out += ";\n";
}

PGORM_DECL void dump_tables(connection& c, const dump_options& opts, std::string& out) {
    auto tables = c.query<std::tuple<std::string, std::string, bool>>(
        "SELECT relname::text, quote_ident(relname), relpersistence = 'u' FROM pg_class "
        "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY relname");
    auto columns = read_columns(c);
    auto constraints = c.query<row3>(R"(
        SELECT t.relname::text, quote_ident(k.conname), pg_get_constraintdef(k.oid)
          FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
         WHERE t.relnamespace = 'public'::regnamespace AND k.contype <> 'f'
         ORDER BY t.relname, k.conname)");
    for (const auto& [table, quoted_table, unlogged] : tables) {
        if (!is_dumped(opts, table)) continue;
        section(out, "table " + table);
        out += std::string(unlogged ? "CREATE UNLOGGED TABLE " : "CREATE TABLE ") + quoted_table + " (";
        bool first = true;
        std::vector<std::string> names;
        for (const auto& col : columns) {
            if (std::get<0>(col) != table) continue;
            names.push_back(std::get<1>(col));
            out += first ? "\n    " : ",\n    ";
            first = false;
            out += column_definition(col);
        }
        for (const auto& [t, name, def] : constraints) {
            if (t != table) continue;
            out += (first ? "\n    CONSTRAINT " : ",\n    CONSTRAINT ") + name + " " + def;
            first = false;
        }
        out += "\n);\n";
        if (is_data_table(opts, table)) dump_table_rows(c, out, quoted_table, names);
    }
}

PGORM_DECL void dump_table_attachments(connection& c, const dump_options& opts, std::string& out) {
    emit_statements(out, opts, "sequence ownership", c.query<row2>(R"(
            SELECT t.relname::text, 'ALTER SEQUENCE ' || quote_ident(s.relname) || ' OWNED BY ' ||
                   quote_ident(t.relname) || '.' || quote_ident(a.attname)
              FROM pg_depend d JOIN pg_class s ON s.oid = d.objid JOIN pg_class t ON t.oid = d.refobjid
              JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
               AND s.relkind = 'S' AND s.relnamespace = 'public'::regnamespace
             ORDER BY s.relname)"));
    emit_statements(out, opts, "foreign keys", c.query<row2>(R"(
            SELECT t.relname::text, 'ALTER TABLE ' || quote_ident(t.relname) || ' ADD CONSTRAINT ' ||
                   quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid)
              FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
             WHERE t.relnamespace = 'public'::regnamespace AND k.contype = 'f'
             ORDER BY t.relname, k.conname)"));
    emit_statements(out, opts, "indexes", c.query<row2>(R"(
            SELECT t.relname::text, pg_get_indexdef(i.indexrelid)
              FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid
             WHERE t.relnamespace = 'public'::regnamespace AND t.relkind = 'r'
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
             ORDER BY t.relname, x.relname)"));
    emit_statements(out, opts, "triggers", c.query<row2>(R"(
            SELECT t.relname::text, pg_get_triggerdef(g.oid)
              FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
             WHERE t.relnamespace = 'public'::regnamespace AND NOT g.tgisinternal
             ORDER BY t.relname, g.tgname)"));
    emit_statements(out, opts, "row-level security", c.query<row2>(R"(
            SELECT relname::text, 'ALTER TABLE ' || quote_ident(relname) || ' ENABLE ROW LEVEL SECURITY' ||
                   CASE WHEN relforcerowsecurity THEN ';' || chr(10) || 'ALTER TABLE ' || quote_ident(relname) ||
                        ' FORCE ROW LEVEL SECURITY' ELSE '' END
              FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relrowsecurity
             ORDER BY relname)"));
    emit_statements(out, opts, "policies", c.query<row2>(R"(
            SELECT t.relname::text,
                   'CREATE POLICY ' || quote_ident(p.polname) || ' ON ' || quote_ident(t.relname) ||
                   CASE WHEN p.polpermissive THEN '' ELSE ' AS RESTRICTIVE' END ||
                   CASE p.polcmd WHEN 'r' THEN ' FOR SELECT' WHEN 'a' THEN ' FOR INSERT'
                                 WHEN 'w' THEN ' FOR UPDATE' WHEN 'd' THEN ' FOR DELETE' ELSE '' END ||
                   ' TO ' || (SELECT string_agg(n, ', ' ORDER BY n) FROM (
                                 SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END AS n
                                   FROM unnest(p.polroles) r) x) ||
                   coalesce(chr(10) || '    USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '') ||
                   coalesce(chr(10) || '    WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')
              FROM pg_policy p JOIN pg_class t ON t.oid = p.polrelid
             WHERE t.relnamespace = 'public'::regnamespace
             ORDER BY t.relname, p.polname)"));
}

PGORM_DECL void dump_grants(connection& c, const dump_options& opts, std::string& out) {
    std::vector<row2> grants = c.query<row2>(R"(
            SELECT '', 'GRANT ' || string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) ||
                   ' ON SCHEMA public TO ' || quote_ident(pg_get_userbyid(a.grantee)) ||
                   CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END
              FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
             WHERE n.nspname = 'public' AND a.grantee <> 0 AND a.grantee <> n.nspowner
               AND a.grantee <> 'pg_database_owner'::regrole
             GROUP BY a.grantee, a.is_grantable ORDER BY 2)");
    auto append = [&grants](std::vector<row2> more) { grants.insert(grants.end(), more.begin(), more.end()); };
    append(c.query<row2>(R"(
            SELECT t.relname::text, 'GRANT ' || string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) ||
                   ' ON TABLE ' || quote_ident(t.relname) || ' TO ' ||
                   CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END ||
                   CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END
              FROM pg_class t CROSS JOIN LATERAL aclexplode(t.relacl) a
             WHERE t.relnamespace = 'public'::regnamespace AND t.relkind IN ('r', 'S') AND a.grantee <> t.relowner
             GROUP BY t.relname, a.grantee, a.is_grantable ORDER BY 1, 2)"));
    append(c.query<row2>(R"(
            WITH f AS (
                SELECT p.oid, p.proowner, p.proacl, p.proname,
                       CASE p.prokind WHEN 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END ||
                       quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS sig
                  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.proacl IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                   AND d.objid = p.oid AND d.deptype = 'e'))
            SELECT '', line FROM (
                SELECT f.sig AS sig, 0 AS k, 'REVOKE ALL ON ' || f.sig || ' FROM PUBLIC' AS line FROM f
                 WHERE NOT EXISTS (SELECT 1 FROM aclexplode(f.proacl) a WHERE a.grantee = 0)
                UNION ALL
                SELECT f.sig, 1, 'GRANT EXECUTE ON ' || f.sig || ' TO ' || quote_ident(pg_get_userbyid(a.grantee)) ||
                       CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END
                  FROM f CROSS JOIN LATERAL aclexplode(f.proacl) a
                 WHERE a.grantee <> 0 AND a.grantee <> f.proowner
            ) x ORDER BY sig, k, line)"));
    emit_statements(out, opts, "grants", grants);
}

}  // namespace detail

PGORM_DECL std::string dump_schema(connection& c, const dump_options& opts) {
    detail::refuse_unsupported(c);
    std::string out = opts.header;
    out += "\nSET check_function_bodies = false;\n";
    detail::dump_extensions(c, out);
    detail::dump_library_schemas(c, out);
    detail::dump_roles(c, out);
    detail::dump_functions(c, out);
    detail::dump_sequences(c, out);
    detail::dump_tables(c, opts, out);
    detail::dump_table_attachments(c, opts, out);
    detail::dump_grants(c, opts, out);
    return out;
}

PGORM_DECL std::string compare_schema(std::string_view expected, std::string_view actual,
                                      std::string_view expected_name) {
    if (expected == actual) return {};
    std::size_t pos = 0, line = 1;
    while (pos < expected.size() && pos < actual.size() && expected[pos] == actual[pos]) {
        if (expected[pos] == '\n') ++line;
        ++pos;
    }
    auto line_at = [](std::string_view s, std::size_t p) {
        auto b = s.rfind('\n', p == 0 ? 0 : p - 1);
        b = (b == std::string_view::npos || p == 0) ? 0 : b + 1;
        auto e = s.find('\n', b);
        return std::string(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    };
    return std::string(expected_name) + " differs from the schema the migrations produce, first at line " +
           std::to_string(line) + ":\n  " + std::string(expected_name) + ": " +
           (pos < expected.size() ? line_at(expected, pos) : std::string("<end of file>")) +
           "\n  migrations: " + (pos < actual.size() ? line_at(actual, pos) : std::string("<end of dump>"));
}

}  // namespace pgorm::migrate
