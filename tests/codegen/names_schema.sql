-- Schema for tests/test_codegen_names.cpp: SQL names that are not safe C++ names as they stand
-- (keywords, alternative tokens, library macros, reserved spellings, non-identifiers, names that
-- collide once made into identifiers).
CREATE TYPE odd AS ENUM (
    'NULL', 'ok', 'EOF', 'errno', 'assert', 'stdin', 'stdout', 'INT_MAX', 'TRUE', 'FALSE', 'true', 'BUFSIZ',
    'SIGINT', 'SIG_DFL', 'EINVAL', 'ENOENT', 'and', 'or', 'not', 'xor', 'bitand', 'compl', 'class', 'int',
    'nullptr', '_Reserved', 'double__under', '__', '_', '1st', 'a-b', 'a_b', 'a b', '', 'ü', 'ö', 'linux',
    'unix', 'offsetof', 'va_arg', 'setjmp', 'CHAR_BIT', 'EXIT_SUCCESS', 'PRId64', 'BOOST_VERSION',
    'InvalidOid', 'Odd', 'ok_', 'ok_2', 'a_');

CREATE TYPE "NULL" AS ENUM ('x');
CREATE TYPE "EOF" AS ENUM ('x');
CREATE TYPE "ü" AS ENUM ('x');
CREATE TYPE "1st" AS ENUM ('x');

CREATE TABLE "errno" (
    id BIGSERIAL PRIMARY KEY,
    "assert" INT,
    "EOF" TEXT,
    "class" TEXT,
    "_Cap" INT,
    "a__b" INT,
    "1st" INT,
    "ü" INT,
    "ö" INT,
    "q" INT,
    "Errno" INT,
    "stdin" INT,
    "and" INT,
    "Odd" odd,
    "NULL" "NULL",
    "unix" INT
);

CREATE TABLE "BUFSIZ" (id BIGINT PRIMARY KEY);
