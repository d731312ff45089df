#pragma once
// Running pgorm-gen from a test: the executable (PGORM_GEN_EXE), its stderr, scratch files.
// Shared by tests/test_codegen.cpp and tests/test_codegen_names.cpp.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace pgorm_gen_test {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// A single-quoted shell word (the paths tests use hold no single quote).
inline std::string q(const std::string& s) { return "'" + s + "'"; }

inline fs::path scratch_file(const std::string& name) {
    return fs::temp_directory_path() / ("pgorm_gen_" + std::to_string(::getpid()) + "_" + name);
}

struct run_result {
    int status = -1;
    std::string err;  // stderr (and stdout, for commands run with run_command)
};

/// Runs a shell command, capturing its stderr; the exit status, or -1 when it did not exit.
inline run_result run_command(const std::string& cmd) {
    static int n = 0;
    fs::path err = scratch_file("err_" + std::to_string(++n));
    run_result r;
    int rc = std::system((cmd + " 2>" + q(err.string())).c_str());
    r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.err = slurp(err);
    fs::remove(err);
    return r;
}

/// Runs pgorm-gen with `args` (already shell-quoted).
inline run_result generate(const std::string& args) { return run_command(q(PGORM_GEN_EXE) + " " + args); }

}  // namespace pgorm_gen_test
