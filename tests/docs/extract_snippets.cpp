// Turns the ```cpp blocks of one Markdown page into a C++ translation unit, so the docs are
// compiled like code and cannot drift from the API. Usage: extract_snippets <page.md> <out.cpp>
//
// The line just before a block's opening fence (blank lines not allowed between) decides how
// the block is compiled:
//   (nothing)                        statements: the body of a function of their own
//   <!-- cpp:declarations -->        namespace-scope code (structs, codecs), visible to later blocks
//   <!-- cpp:skip: <reason> -->      not compiled; the reason is required and printed
// Blocks see the names declared by tests/docs/doc_context.hpp (a connection `conn`, a pool `db`,
// a few placeholders). `#line` directives make compiler errors point at the page and its line.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

enum class block_kind { statements, declarations, skipped };

struct block {
    block_kind kind = block_kind::statements;
    int first_line = 0;  // 1-based line of the first code line in the page
    std::string code;
    std::string skip_reason;
};

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r");
    auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

/// Reads the marker comment before a fence; returns false (and explains) on an unknown marker.
bool classify(const std::string& marker, const std::string& page, int line, block& b) {
    std::string m = trim(marker);
    if (!starts_with(m, "<!-- cpp:")) return true;
    if (m == "<!-- cpp:declarations -->") {
        b.kind = block_kind::declarations;
        return true;
    }
    if (starts_with(m, "<!-- cpp:skip:") && m.size() > 18 && m.substr(m.size() - 3) == "-->") {
        b.kind = block_kind::skipped;
        b.skip_reason = trim(m.substr(14, m.size() - 14 - 3));
        if (!b.skip_reason.empty()) return true;
    }
    std::cerr << page << ":" << line << ": unknown or incomplete marker '" << m
              << "' (use <!-- cpp:declarations --> or <!-- cpp:skip: reason -->)\n";
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: extract_snippets <page.md> <out.cpp>\n";
        return 2;
    }
    const std::string page = argv[1];
    std::ifstream in(page);
    if (!in) {
        std::cerr << "cannot read " << page << "\n";
        return 2;
    }
    std::vector<block> blocks;
    std::string line, previous;
    int number = 0;
    bool inside = false;
    while (std::getline(in, line)) {
        ++number;
        std::string t = trim(line);
        if (!inside && starts_with(t, "```cpp")) {
            block b;
            b.first_line = number + 1;
            if (!classify(previous, page, number - 1, b)) return 1;
            blocks.push_back(b);
            inside = true;
        } else if (inside && starts_with(t, "```")) {
            inside = false;
        } else if (inside) {
            blocks.back().code += line + "\n";
        }  // other fences (```sql, ```text, ...) are not ours
        previous = line;
    }
    if (inside) {
        std::cerr << page << ": a ```cpp block is not closed\n";
        return 1;
    }
    std::ostringstream out;
    out << "// Generated from " << page << " by extract_snippets; edit the page, not this file.\n"
        << "#include \"doc_context.hpp\"\n\n";
    int compiled = 0;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const block& b = blocks[i];
        if (b.kind == block_kind::skipped) {
            std::cout << page << ":" << b.first_line - 1 << ": skipped: " << b.skip_reason << "\n";
            continue;
        }
        ++compiled;
        if (b.kind == block_kind::declarations) {
            out << "#line " << b.first_line << " \"" << page << "\"\n" << b.code << "\n";
        } else {
            out << "[[maybe_unused]] static void doc_snippet_" << i << "() {\n"
                << "#line " << b.first_line << " \"" << page << "\"\n" << b.code << "}\n\n";
        }
    }
    std::ofstream(argv[2]) << out.str();
    std::cout << page << ": " << blocks.size() << " cpp block(s), " << compiled << " compiled\n";
    return 0;
}
