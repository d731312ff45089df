#pragma once
// Asks the server what each query means: the schema is applied inside a transaction that is
// rolled back at the end, every query is prepared (PQprepare) and described
// (PQdescribePrepared), and the catalog supplies NOT NULL flags, table columns and enum labels.

#include "infer.hpp"
#include "nullability.hpp"
#include "write_target.hpp"
#include "query_file.hpp"
#include "type_map.hpp"

#include <pgorm/migrate/library_schemas.hpp>

#include <libpq-fe.h>

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace pgorm_gen {

struct column_info {
    std::string name;  // as the server names it
    unsigned type = 0;
    unsigned table = 0;  // PQftable
    int attnum = 0;      // PQftablecol
    bool nullable = true;
};

struct param_info {
    std::string name;
    unsigned type = 0;
    bool nullable = false;
    bool slice = false;
};

struct embed_info {
    std::string alias;
    unsigned table = 0;
    int first = 0, count = 0;  // result columns [first, first + count)
    bool nullable = false;     // under the nullable side of an outer join
};

struct table_info {
    unsigned oid = 0;
    std::string name;  // relname
    std::vector<column_info> columns;
};

struct analyzed_query {
    query_spec spec;
    std::vector<param_info> params;
    std::vector<column_info> columns;
    std::vector<embed_info> embeds;
    unsigned model_table = 0;  // non-zero: the result is exactly this table's row
    // :copyfrom only
    std::string copy_schema;  // :copyfrom into schema.table; empty when the query names no schema
    std::string copy_table;
    std::vector<std::string> copy_columns;
    std::vector<int> copy_params;  // param index per copy column
};

/// The generator's view of one database session.
class analyzer {
public:
    explicit analyzer(PGconn* c) : c_(c) {}

    /// Applies schema files (or folders of migrations, sorted by name) in one transaction.
    void apply_schema(const std::vector<std::string>& inputs) {
        run_command("BEGIN");
        for (auto& in : inputs)
            for (auto& f : sql_files(in, "schema")) apply_file(f);
    }

    void rollback() { PQclear(PQexec(c_, "ROLLBACK")); }

    /// Prepares and describes every query; collects all errors before throwing.
    std::vector<analyzed_query> analyze(const std::vector<query_spec>& specs) {
        std::vector<analyzed_query> out;
        std::string errors;
        for (auto& q : specs) {
            run_command("SAVEPOINT pgorm_gen");
            try {
                out.push_back(analyze_one(q));
                run_command("RELEASE SAVEPOINT pgorm_gen");
            } catch (const input_error& e) {
                errors += e.what();
                errors += '\n';
                run_command("ROLLBACK TO SAVEPOINT pgorm_gen");
            }
        }
        if (!errors.empty()) {
            errors.pop_back();
            throw input_error(errors);
        }
        return out;
    }

    const table_info& table(unsigned oid) {
        auto it = tables_.find(oid);
        if (it != tables_.end()) return it->second;
        table_info t;
        t.oid = oid;
        std::string o = std::to_string(oid);
        auto name = catalog_rows("SELECT relname FROM pg_class WHERE oid = $1::oid", {o});
        t.name = name.at(0).at(0);
        auto cols = catalog_rows("SELECT a.attname, a.atttypid::text, a.attnotnull::text, a.attnum::text FROM pg_attribute a "
                          "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                          {o});
        for (auto& r : cols) {
            column_info c;
            c.name = r[0];
            c.type = static_cast<unsigned>(std::stoul(r[1]));
            c.table = oid;
            c.attnum = std::stoi(r[3]);
            c.nullable = r[2] != "true";
            t.columns.push_back(c);
        }
        return tables_.emplace(oid, std::move(t)).first->second;
    }

    /// The oid of a table visible on the search path, or 0.
    unsigned relation(const std::string& name) {
        auto rows = catalog_rows("SELECT c.oid::text FROM pg_class c WHERE c.relname = $1 AND pg_table_is_visible(c.oid) "
                          "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
                          {name});
        return rows.empty() ? 0 : static_cast<unsigned>(std::stoul(rows[0][0]));
    }

    /// The oid of `schema.name` (a table, view, materialized view or foreign table), or with an
    /// empty schema the one visible on the search path; 0 when there is none.
    unsigned relation(const std::string& schema, const std::string& name) {
        if (schema.empty()) return relation(name);
        auto rows = catalog_rows("SELECT c.oid::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
                                 {schema, name});
        return rows.empty() ? 0 : static_cast<unsigned>(std::stoul(rows[0][0]));
    }

    /// Columns of `schema.name` with their NOT NULL flags, for the parse-tree analysis
    /// (nullability.hpp). A view's columns count as nullable: the catalog marks none NOT NULL.
    std::optional<std::vector<shaped_column>> shaped_table(const std::string& schema, const std::string& name) {
        unsigned oid = relation(schema, name);
        if (!oid) return std::nullopt;
        std::vector<shaped_column> out;
        for (auto& c : table(oid).columns) out.push_back({c.name, c.nullable});
        return out;
    }

    /// pg_type facts about one type oid.
    type_facts type(unsigned oid) {
        auto it = types_.find(oid);
        if (it != types_.end()) return it->second;
        std::string o = std::to_string(oid);
        auto rows = catalog_rows("SELECT typname, typtype::text, typelem::text, typbasetype::text, typcategory::text, "
                          "format_type(oid, NULL) FROM pg_type WHERE oid = $1::oid",
                          {o});
        type_facts f;
        f.oid = oid;
        if (!rows.empty()) {
            auto& r = rows[0];
            f.name = r[0];
            f.kind = r[1].empty() ? 'b' : r[1][0];
            f.element = static_cast<unsigned>(std::stoul(r[2]));
            f.base = static_cast<unsigned>(std::stoul(r[3]));
            f.is_array = r[4] == "A";
            f.sql = r[5];
            if (f.kind == 'e')
                for (auto& l : catalog_rows("SELECT enumlabel FROM pg_enum WHERE enumtypid = $1::oid ORDER BY enumsortorder", {o}))
                    f.labels.push_back(l[0]);
        }
        return types_.emplace(oid, f).first->second;
    }

private:
    PGconn* c_;
    std::map<unsigned, table_info> tables_;
    std::map<unsigned, type_facts> types_;
    int next_statement_ = 0;

    struct pgresult_ptr {
        PGresult* r;
        ~pgresult_ptr() { PQclear(r); }
    };

    void run_command(const char* sql) {
        pgresult_ptr r{PQexec(c_, sql)};
        if (PQresultStatus(r.r) != PGRES_COMMAND_OK)
            throw input_error(std::string("pgorm-gen: error: ") + sql + ": " + PQerrorMessage(c_));
    }

    std::vector<std::vector<std::string>> catalog_rows(const char* sql, const std::vector<std::string>& args) {
        std::vector<const char*> vals;
        for (auto& a : args) vals.push_back(a.c_str());
        pgresult_ptr r{PQexecParams(c_, sql, static_cast<int>(vals.size()), nullptr, vals.data(), nullptr, nullptr, 0)};
        if (PQresultStatus(r.r) != PGRES_TUPLES_OK)
            throw input_error(std::string("pgorm-gen: error: catalog query failed: ") + PQerrorMessage(c_));
        std::vector<std::vector<std::string>> rows;
        for (int i = 0; i < PQntuples(r.r); ++i) {
            rows.emplace_back();
            for (int j = 0; j < PQnfields(r.r); ++j) rows.back().emplace_back(PQgetvalue(r.r, i, j));
        }
        return rows;
    }

    static std::string server_words(PGresult* r, PGconn* c) {
        const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
        std::string s = primary ? primary : PQerrorMessage(c);
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        if (r) {
            if (const char* d = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)) s += " (" + std::string(d) + ")";
            // The server's hint often names the fix ("Perhaps you meant to reference the column ...").
            if (const char* h = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT)) s += " (hint: " + std::string(h) + ")";
        }
        return s;
    }

    /// 1-based character position in `text` -> line offset (0 for the first line).
    static int line_offset(const std::string& text, PGresult* r) {
        const char* pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : nullptr;
        if (!pos) return -1;
        long chars = std::strtol(pos, nullptr, 10);
        int lines = 0;
        long seen = 0;
        for (unsigned char ch : text) {
            if ((ch & 0xC0) != 0x80) ++seen;  // count UTF-8 characters, as the server does
            if (seen >= chars) break;
            if (ch == '\n') ++lines;
        }
        return lines;
    }

    void apply_file(const std::string& path) {
        std::ifstream f(path);
        if (!f) throw input_error(location(path, 1) + "error: cannot read schema file");
        std::stringstream ss;
        ss << f.rdbuf();
        std::string sql = ss.str();
        // Migration files may carry a down section (goose, dbmate): only the up part applies.
        for (const char* marker : {"-- +goose Down", "-- migrate:down"})
            if (auto at = sql.find(marker); at != std::string::npos) sql.resize(at);
        // `-- migrate:install <library schema>` stands for that schema's DDL, as pgorm-migrate
        // runs it (migrate/migration_file.hpp): apply the SQL before each such line, then the DDL.
        std::size_t from = 0;
        int first_line = 1;
        std::size_t line_start = 0;
        int line_number = 1;
        while (line_start < sql.size()) {
            std::size_t end = sql.find('\n', line_start);
            if (end == std::string::npos) end = sql.size();
            std::string_view line = std::string_view(sql).substr(line_start, end - line_start);
            auto lead = line.find_first_not_of(" \t");
            if (lead != std::string_view::npos && line.substr(lead).starts_with("-- migrate:install")) {
                std::string name{line.substr(lead + 18)};
                name.erase(0, std::min(name.find_first_not_of(" \t"), name.size()));
                name.erase(name.find_last_not_of(" \t\r") + 1);
                const std::string* ddl = pgorm::migrate::find_library_schema(name);
                if (!ddl)
                    throw input_error(location(path, line_number) + "error: unknown library schema '" + name +
                                      "' (known: " + std::string(pgorm::migrate::library_schema_names) + ")");
                apply_text(path, sql.substr(from, line_start - from), first_line);
                apply_text(path + " (-- migrate:install " + name + ")", *ddl, 1);
                from = end + 1;
                first_line = line_number + 1;
            }
            line_start = end + 1;
            ++line_number;
        }
        if (from < sql.size()) apply_text(path, sql.substr(from), first_line);
    }

    /// Applies `sql`, which starts at line `first_line` of `path` (for the error's location).
    void apply_text(const std::string& path, const std::string& sql, int first_line) {
        if (sql.find_first_not_of(" \t\r\n") == std::string::npos) return;
        run_command("SAVEPOINT pgorm_gen_schema");
        pgresult_ptr r{PQexec(c_, sql.c_str())};
        if (succeeded(r.r)) {
            run_command("RELEASE SAVEPOINT pgorm_gen_schema");
            return;
        }
        int off = line_offset(sql, r.r);
        if (off < 0) {
            // No position (e.g. a missing referenced table): find the failing statement by running
            // them one at a time, so the message still points at the right line.
            run_command("ROLLBACK TO SAVEPOINT pgorm_gen_schema");
            throw_at_failing_statement(path, sql, first_line);
        }
        throw input_error(location(path, first_line + (off < 0 ? 0 : off)) + "error: schema: " + server_words(r.r, c_));
    }

    /// Runs the statements of `sql` one by one, split where PostgreSQL's parser splits them
    /// (parse_tree.hpp), and throws at the first that fails (returns when none does alone).
    void throw_at_failing_statement(const std::string& path, const std::string& sql, int first_line) {
        for (const auto& range : split_statements(sql, path)) {
            std::string stmt = sql.substr(range.begin, range.length);
            pgresult_ptr one{PQexec(c_, stmt.c_str())};
            if (succeeded(one.r)) continue;
            int at = line_offset(stmt, one.r);
            if (at < 0) {  // the statement's first non-blank line
                auto lead = std::min(stmt.find_first_not_of(" \t\r\n"), stmt.size());
                at = static_cast<int>(std::count(stmt.begin(), stmt.begin() + static_cast<std::ptrdiff_t>(lead), '\n'));
            }
            int line = first_line + static_cast<int>(std::count(sql.begin(), sql.begin() + static_cast<std::ptrdiff_t>(range.begin), '\n'));
            throw input_error(location(path, line + at) + "error: schema: " + server_words(one.r, c_));
        }
    }

    static bool succeeded(PGresult* r) {
        auto st = PQresultStatus(r);
        return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
    }

    [[noreturn]] void fail(const query_spec& q, const std::string& text, PGresult* r) {
        int off = line_offset(text, r);
        throw input_error(location(q.file, q.sql_line + (off < 0 ? 0 : off)) + "error: query " + q.name + ": " +
                          server_words(r, c_));
    }

    /// Prepares `text` and describes it; throws input_error with the server's words on failure.
    pgresult_ptr describe(const query_spec& q, const std::string& text) {
        std::string name = "pgorm_gen_" + std::to_string(++next_statement_);
        {
            pgresult_ptr p{PQprepare(c_, name.c_str(), text.c_str(), 0, nullptr)};
            if (PQresultStatus(p.r) != PGRES_COMMAND_OK) fail(q, text, p.r);
        }
        pgresult_ptr d{PQdescribePrepared(c_, name.c_str())};
        if (PQresultStatus(d.r) != PGRES_COMMAND_OK) fail(q, text, d.r);
        PGresult* keep = d.r;
        d.r = nullptr;
        return pgresult_ptr{keep};
    }

    analyzed_query analyze_one(const query_spec& q);
    void find_embeds(analyzed_query& a, const result_shape& shape);
};

}  // namespace pgorm_gen

#include "resolve.hpp"

namespace pgorm_gen {

inline analyzed_query analyzer::analyze_one(const query_spec& q) {
    analyzed_query a;
    a.spec = q;
    // PostgreSQL's parser first: a syntax error or a second statement is reported at file:line:col.
    boost::json::object stmt = parse_one_statement(q.sql, q.file, q.sql_line, q.name);
    pgresult_ptr d = describe(q, q.sql);
    int np = PQnparams(d.r);
    if (np != static_cast<int>(q.params.size()))
        throw input_error(location(q.file, q.line) + "error: query " + q.name + ": the server sees " +
                          std::to_string(np) + " parameter(s), the query text " + std::to_string(q.params.size()));
    for (int i = 0; i < np; ++i) {
        param_info p;
        p.type = PQparamtype(d.r, i);
        p.name = q.params[static_cast<std::size_t>(i)].name;
        p.nullable = q.params[static_cast<std::size_t>(i)].nullable;
        p.slice = q.params[static_cast<std::size_t>(i)].slice;
        constexpr unsigned unknown_oid = 705;  // an untyped literal's type
        if (p.type == 0 || p.type == unknown_oid)
            throw input_error(location(q.file, q.sql_line) + "error: query " + q.name +
                              ": could not determine data type of parameter $" + std::to_string(i + 1));
        a.params.push_back(p);
    }
    for (int i = 0; i < PQnfields(d.r); ++i) {
        column_info c;
        c.name = PQfname(d.r, i);
        c.type = PQftype(d.r, i);
        c.table = PQftable(d.r, i);
        c.attnum = PQftablecol(d.r, i);
        a.columns.push_back(c);
    }
    table_lookup tables = [this](const std::string& schema, const std::string& name) { return shaped_table(schema, name); };
    result_shape shape = shape_of(stmt, tables);
    write_target target = write_target_of(stmt);
    sql_facts facts = read_sql_facts(q.sql);
    name_parameters(a, facts, target, *this);
    decide_nullability(a, shape, stmt, *this);
    if (!q.embeds.empty()) find_embeds(a, shape);
    find_model(a, *this);
    if (q.cmd == command::copyfrom) read_copy_target(a, target);
    return a;
}

/// Locates each sqlc.embed(t) in the result: the probe statement has a marker column named
/// pgorm_embed_<k> right before embed k's columns, so the columns after it belong to t.
inline void analyzer::find_embeds(analyzed_query& a, const result_shape& shape) {
    const query_spec& q = a.spec;
    pgresult_ptr probe = describe(q, q.probe);
    const int columns = PQnfields(probe.r);
    for (int i = 0; i < columns && a.embeds.size() < q.embeds.size(); ++i) {
        const std::size_t k = a.embeds.size();
        if (PQfname(probe.r, i) != "pgorm_embed_" + std::to_string(k)) continue;
        embed_info e;
        e.alias = q.embeds[k].alias;
        e.first = i - static_cast<int>(k);  // the markers before this one are not in the real result
        e.table = i + 1 < columns ? PQftable(probe.r, i + 1) : 0;
        if (e.table == 0)
            throw input_error(location(q.file, q.sql_line) + "error: query " + q.name + ": sqlc.embed(" + e.alias +
                              ") does not name a table of the FROM clause");
        const table_info& t = table(e.table);
        e.count = static_cast<int>(t.columns.size());
        // Under an outer join's NULL-filled side (an alias the tree does not know: assume so).
        auto side = shape.item_nullable.find(e.alias);
        e.nullable = side == shape.item_nullable.end() || side->second;
        a.embeds.push_back(e);
    }
    if (a.embeds.size() != q.embeds.size())
        throw input_error(location(q.file, q.sql_line) + "error: query " + q.name + ": sqlc.embed(" +
                          q.embeds[a.embeds.size()].alias + ") must be an item of the top-level select list");
}

}  // namespace pgorm_gen
