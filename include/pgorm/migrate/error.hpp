#pragma once
// The migration layer's own failure: a bad migration file, a drifted record, a failed statement.

#include <pgorm/error.hpp>

#include <string>
#include <utility>

namespace pgorm::migrate {

/// A migration could not be loaded, applied or reverted, or the recorded history disagrees with
/// the files. The message names the file (and line and statement where one is at fault).
class migration_error : public error {
public:
    using error::error;
};

/// A statement of a migration failed; says which file, part, statement and line, and carries the
/// server's SQLSTATE. The database is left at the version before that migration.
class migration_failed : public migration_error {
public:
    migration_failed(const std::string& message, std::string file, int line, int statement, std::string sqlstate)
        : migration_error(message), file_(std::move(file)), line_(line), statement_(statement),
          sqlstate_(std::move(sqlstate)) {}

    const std::string& file() const noexcept { return file_; }
    int line() const noexcept { return line_; }            // of the failing statement's first line
    int statement() const noexcept { return statement_; }  // 1-based, within its part
    const std::string& sqlstate() const noexcept { return sqlstate_; }

private:
    std::string file_;
    int line_;
    int statement_;
    std::string sqlstate_;
};

}  // namespace pgorm::migrate
