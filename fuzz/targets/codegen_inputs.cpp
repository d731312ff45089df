// pgorm-gen's inputs on hostile text: the queries.sql reader (`-- name:` blocks, @name and
// sqlc.arg/narg/slice/embed rewriting), the SQL lexer, and the sqlc configuration reader (JSON and
// YAML). The readers take file names, so the text goes through one scratch file per process.
// Input: [reader] text.
#include "../fuzz_target.hpp"

#include "config_file.hpp"
#include "query_file.hpp"
#include "sql_lexer.hpp"

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace {

std::string scratch_file(std::string_view text, const char* extension) {
    const auto path = (std::filesystem::temp_directory_path() /
                       ("pgorm-fuzz-" + std::to_string(::getpid()) + extension)).string();
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(text.data(), static_cast<std::streamsize>(text.size()));
    return path;
}

/// Every token lies inside the text, in order.
void lex(std::string_view sql) {
    std::size_t last = 0;
    for (const auto& t : pgorm_gen::tokenize(sql)) {
        PGORM_FUZZ_CHECK(t.pos < sql.size() && t.pos >= last);
        last = t.pos;
    }
    (void)pgorm_gen::skip_non_code(sql, 0);
}

}  // namespace

PGORM_FUZZ_TARGET(codegen_inputs) {
    const pgorm_fuzz::input in(data);
    const std::string_view text = in.rest(1);
    try {
        switch (in.choice(0) % 4) {
            case 0: {
                std::vector<pgorm_gen::query_spec> queries;
                const auto file = scratch_file(text, ".sql");
                pgorm_gen::read_query_file(file, queries);
                std::filesystem::remove(file);
                for (const auto& q : queries) lex(q.sql);
                return;
            }
            case 1: return lex(text);
            case 2: {
                const auto file = scratch_file(text, ".json");
                (void)pgorm_gen::read_config(file);
                return;
            }
            case 3: {
                const auto file = scratch_file(text, ".yaml");
                (void)pgorm_gen::read_config(file);
                return;
            }
            default: return lex(text);
        }
    } catch (const pgorm_gen::input_error&) {
    }
}
