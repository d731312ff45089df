#pragma once
// pgorm/migrate: migration files and the migrator, the deterministic schema dump, the
// model-vs-database diff and the schema-convention checks (docs/migrations.md).
#include <pgorm/migrate/error.hpp>
#include <pgorm/migrate/sql_split.hpp>
#include <pgorm/migrate/migration_file.hpp>
#include <pgorm/migrate/migrator.hpp>
#include <pgorm/migrate/dump.hpp>
#include <pgorm/migrate/conventions.hpp>
#include <pgorm/migrate/model_diff.hpp>
