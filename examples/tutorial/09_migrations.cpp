// Step 9: migrations. A folder of NNNN_name.sql files with `-- migrate:up` and `-- migrate:down`
// parts; the migrator applies what is pending under an advisory lock and records each file's
// checksum, so an edited applied file is reported.
#include "tutorial.hpp"

#include <pgorm/migrate.hpp>

#include <filesystem>
#include <fstream>

int main() {
    return tutorial::run("09_migrations", [] {
        tutorial::scratch db;  // already migrated to the example schema; we add our own folder
        auto dir = std::filesystem::temp_directory_path() / ("pgorm_tutorial_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        std::ofstream(dir / "0001_notes.sql") << "-- migrate:up\nCREATE TABLE notes (id int PRIMARY KEY, body text);\n"
                                                 "-- migrate:down\nDROP TABLE notes;\n";
        std::ofstream(dir / "0002_note_author.sql") << "-- migrate:up\nALTER TABLE notes ADD COLUMN author text;\n"
                                                       "-- migrate:down\nALTER TABLE notes DROP COLUMN author;\n";

        pgorm::connection conn(db.url());
        pgorm::migrate::migrator_options o;
        o.directory = dir.string();
        o.table = "tutorial_migrations";  // its own bookkeeping table beside the example's
        pgorm::migrate::migrator m(conn, o);

        auto applied = m.up();
        tutorial::expect(applied.size() == 2 && m.current() == "0002", "both files applied, at 0002");
        conn.execute("INSERT INTO notes (id, body, author) VALUES (1, 'hi', 'ada')");

        m.down(1);
        tutorial::expect(m.current() == "0001", "one step down");
        for (auto& s : m.status()) std::cout << s.version << ' ' << s.name << '\n';
        std::filesystem::remove_all(dir);
    });
}
