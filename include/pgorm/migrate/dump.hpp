#pragma once
// dump_schema: the squashed schema of a migrated database, read from the catalogs, as SQL that
// a fresh database can run through the simple protocol (connection::execute_script, psql -f).
//
// The output is deterministic: every object kind comes in a fixed section and, within it, in
// name order, so the same schema always gives the same bytes. Sections: extensions, roles
// (created idempotently, they are cluster-wide), functions, sequences, tables with their
// column defaults, collations and non-foreign-key constraints (followed by the rows of data
// tables such as *_enum), sequence ownership, foreign keys, indexes, triggers, row-level
// security, policies, grants. The migrations bookkeeping table is left out.
//
// Scope: the `public` schema. Views, materialized views, partitioned and foreign tables,
// enum/domain/composite types and aggregates are refused with a migration_error naming them,
// rather than silently left out. Comments and role passwords are not dumped.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>
#include <pgorm/migrate/error.hpp>
#include <pgorm/migrate/library_schemas.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace pgorm::migrate {

struct dump_options {
    /// Tables not dumped at all (the migrator's bookkeeping table).
    std::set<std::string> exclude_tables{"pgorm_migrations"};
    /// Tables whose rows are part of the schema: those whose name ends with one of these.
    std::vector<std::string> data_table_suffixes{"_enum"};
    /// First lines of the file.
    std::string header =
        "-- Squashed schema, written from the migrations by `pgorm-migrate dump`. Do not edit: write a\n"
        "-- migration and dump again. `pgorm-migrate verify` checks this file against the migrations,\n"
        "-- `pgorm-migrate check` against the schema conventions (docs/migrations.md).\n";
};

namespace detail {

using row2 = std::tuple<std::string, std::string>;
using row3 = std::tuple<std::string, std::string, std::string>;
using row4 = std::tuple<std::string, std::string, std::string, std::string>;

PGORM_DECL void section(std::string& out, std::string_view title);

PGORM_DECL std::string strip_trailing_newlines(std::string s);

// Object kinds the dumper cannot reproduce: better to refuse than to write an incomplete schema.
PGORM_DECL void refuse_unsupported(connection& c);

// Whether a table's objects belong in the dump (the bookkeeping table's do not).
PGORM_DECL bool is_dumped(const dump_options& opts, const std::string& table);

// Rows of (table, SQL statement) as one section; statements of excluded tables are skipped, and a
// section left empty gets no title.
PGORM_DECL void emit_statements(std::string& out, const dump_options& opts, std::string_view title,
                                const std::vector<row2>& rows);

PGORM_DECL void dump_extensions(connection& c, std::string& out);

// Schemas pgorm ships as library code (`-- migrate:install NAME`): their DDL as the library writes
// it, so the dump stays self-contained (the public schema's policies call them).
PGORM_DECL void dump_library_schemas(connection& c, std::string& out);

// Roles that policies and grants name, and the roles that are their members; created only where
// missing (roles are cluster-wide), memberships granted again (a no-op when present).
PGORM_DECL void dump_roles(connection& c, std::string& out);

// Functions and procedures (not those of extensions).
PGORM_DECL void dump_functions(connection& c, std::string& out);

// Sequences that are not identity columns' own.
PGORM_DECL void dump_sequences(connection& c, std::string& out);

// One column of a table: (table, quoted name, type, COLLATE clause, default expression, not null,
// attidentity, attgenerated).
using column_row =
    std::tuple<std::string, std::string, std::string, std::string, std::string, bool, std::string, std::string>;

PGORM_DECL std::vector<column_row> read_columns(connection& c);

// The column definition as CREATE TABLE writes it: name, type, collation, then the one of
// generated / identity / default that applies, then NOT NULL.
PGORM_DECL std::string column_definition(const column_row& col);

PGORM_DECL bool is_data_table(const dump_options& opts, const std::string& table);

// The rows of a data table as one INSERT, in a stable order (by their text, in the "C" collation).
PGORM_DECL void dump_table_rows(connection& c, std::string& out, const std::string& quoted_table,
                                const std::vector<std::string>& quoted_columns);

// Tables with their columns and non-foreign-key constraints, each followed by its rows when it
// is a data table.
PGORM_DECL void dump_tables(connection& c, const dump_options& opts, std::string& out);

// What hangs off the tables, in dependency order: sequence ownership, foreign keys, indexes,
// triggers, row-level security switches and policies.
PGORM_DECL void dump_table_attachments(connection& c, const dump_options& opts, std::string& out);

// Grants: the schema, then tables, then functions. Object owners' own rights are implied.
PGORM_DECL void dump_grants(connection& c, const dump_options& opts, std::string& out);

}  // namespace detail

/// The connected database's public schema as deterministic SQL, section by section (see the top
/// of this file). Throws migration_error for an object kind it cannot reproduce, and sql_error /
/// connection_lost from the catalog queries.
[[nodiscard]] PGORM_DECL std::string dump_schema(connection& c, const dump_options& opts = {});

/// Compares a committed schema file with a fresh dump; empty when equal, else a message that
/// names the first line that differs.
[[nodiscard]] PGORM_DECL std::string compare_schema(std::string_view expected, std::string_view actual,
                                                    std::string_view expected_name);

}  // namespace pgorm::migrate

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/migrate/impl/dump.ipp>
#endif
