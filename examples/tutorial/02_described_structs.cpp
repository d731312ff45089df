// Step 2: rows as structs. A struct described with Boost.Describe is read by column name; a
// std::tuple by position. A mismatch between columns and members is an error that names them.
#include "tutorial.hpp"

#include <pgorm/core.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

struct Note {
    std::int32_t id = 0;
    std::string body;
    std::optional<std::string> author;  // a nullable column
};
BOOST_DESCRIBE_STRUCT(Note, (), (id, body, author))

int main() {
    return tutorial::run("02_described_structs", [] {
        tutorial::scratch db;
        pgorm::connection conn(db.url());
        conn.execute("CREATE TEMP TABLE notes (id int, body text, author text)");
        conn.execute("INSERT INTO notes VALUES (1, 'hello', 'ada'), (2, 'world', NULL)");

        // By name: the column order does not matter, every member needs a column.
        auto notes = conn.query<Note>("SELECT author, body, id FROM notes ORDER BY id");
        tutorial::expect(notes.size() == 2 && notes[0].author == "ada" && !notes[1].author, "two notes, one author");

        // At most one row.
        std::optional<Note> second = conn.query_one<Note>("SELECT id, body, author FROM notes WHERE id = $1", 2);
        tutorial::expect(second && second->body == "world", "note 2 found");

        // By position: a tuple.
        auto pairs = conn.query<std::tuple<std::int32_t, std::string>>("SELECT id, body FROM notes ORDER BY id");
        tutorial::expect(std::get<1>(pairs[0]) == "hello", "tuple (1, hello)");

        // A column the struct does not have is reported, not dropped.
        try {
            conn.query<Note>("SELECT id, body, author, 1 AS extra FROM notes");
            tutorial::expect(false, "a column_mismatch for the extra column");
        } catch (const pgorm::column_mismatch& e) {
            std::cout << "as expected: " << e.what() << '\n';
        }
    });
}
