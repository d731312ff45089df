// The migration splitter on hostile SQL: unterminated strings, quoted identifiers, dollar quotes
// (with tags), nested block comments, BEGIN ATOMIC bodies, E'' escapes. The statements it returns
// are not empty and start, in order, on lines inside the script. Input: the SQL text.
#include "../fuzz_target.hpp"

#include <pgorm/migrate/sql_split.hpp>

#include <algorithm>

PGORM_FUZZ_TARGET(migrate_split) {
    std::vector<pgorm::migrate::sql_statement> statements;
    try {
        statements = pgorm::migrate::split_sql(data, 1, "fuzz.sql");
    } catch (const pgorm::error&) {
        return;
    }
    const auto lines = 1 + std::count(data.begin(), data.end(), '\n');
    int last_line = 1;
    for (const auto& s : statements) {
        PGORM_FUZZ_CHECK(!s.text.empty() && s.line >= last_line && s.line <= lines);
        last_line = s.line;
    }
}
