#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/: small valid inputs in each target's layout
([choice bytes] payload, see the target's header comment) plus edge cases. Re-run after changing a
target's layout; libFuzzer grows its own corpus from these in a scratch folder (scripts/fuzz.sh)."""
import os, struct, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
be = lambda fmt, *v: struct.pack(">" + fmt, *v)

def arr(elem_oid, elems, ndim=1, lower=1):
    out = be("iiI", ndim if elems else 0, int(any(e is None for e in elems)), elem_oid)
    if not elems:
        return out
    out += be("ii", len(elems), lower)
    for e in elems:
        out += be("i", -1) if e is None else be("i", len(e)) + e
    return out

def numeric(ndigits, weight, sign, dscale, digits):
    return be("hhHh", ndigits, weight, sign, dscale) + b"".join(be("H", d) for d in digits)

def rng(flags, *bounds):
    return bytes([flags]) + b"".join(be("i", len(b)) + b for b in bounds)

seeds = {
    "decode_basic": [
        b"\x00\x00\x01", b"\x01\x00\x01\x02", b"\x02\x01\xff\xff\xff\xfe", b"\x03\x02" + be("q", -2**63),
        b"\x03\x00\x00\x07", b"\x04\x00" + be("f", 1.5), b"\x05\x01" + be("d", -2.5), b"\x05\x00\x7f\xc0\x00\x00",
        b"\x06\x00hello", b"\x06\x04\xc3\xa9", b"\x07\x00\x00\xff", b"\x08\x00" + bytes(range(16)),
        b"\x09\x00\xff\xff\xff\xff", b"\x0a\x00" + be("q", 12345), b"\x0b\x00" + be("i", 10) + b"\xa5\x80",
        b"\x0b\x01" + be("i", 0), b"\x0c\x00<a/>", b"\x0d\x00" + be("dd", 1.0, -2.0),
        b"\x0e\x00" + be("i", 2) + b"a\x00" + be("h", 0) + b"b\x00" + be("h", 1) + be("H", 0x4001),
        b"\x0f\x00\x02\x20\x00\x04\xc0\xa8\x00\x01", b"\x10\x01\x03\x40\x01\x10" + bytes(16),
        b"\x11\x00\x08\x00\x2b\x01\x02\x03", b"\x11\x01\x08\x00\x2b\x01\x02\x03\x04\x05", b"\x0f\x00\x02\x21\x00\x04",
    ],
    "decode_numeric": [
        numeric(0, 0, 0, 0, []), numeric(2, 0, 0x4000, 2, [12, 3400]), numeric(1, -1, 0, 4, [5]),
        numeric(0, 0, 0xC000, 0, []), numeric(0, 0, 0xD000, 0, []), numeric(0, 0, 0xF000, 0, []),
        numeric(1, 0, 0, 0, [10000]), numeric(1, 32767, 0, 0, [1]), numeric(1, -32768, 0, 16383, [1]),
        numeric(3, 0, 0, 0, [1]), numeric(-1, 0, 0, 0, []), numeric(1, 0, 0x1234, 0, [1]),
    ],
    "decode_time": [
        b"\x00\x00" + be("q", 0), b"\x00\x00" + be("q", 2**63 - 1), b"\x00\x00" + be("q", -2**63),
        b"\x01\x01" + be("q", 86_400_000_000), b"\x02\x00" + be("i", 0), b"\x02\x00" + be("i", 2**31 - 1),
        b"\x02\x00" + be("i", -2**31), b"\x03\x00" + be("i", -2451545), b"\x04\x00" + be("q", 86_400_000_000),
        b"\x04\x00" + be("q", -1), b"\x05\x00" + be("qii", 1, 2, 3), b"\x06\x00" + be("qii", 2**63 - 1, 0, 0),
        b"\x06\x00" + be("qii", 0, 2**31 - 1, 2**31 - 1), b"\x00\x00" + be("q", 9_223_371_331_200_000_000),
    ],
    "decode_json": [
        b"\x00\x00{\"a\":1}", b"\x01\x01\x01{\"a\":[1,2]}", b"\x01\x01\x02{}", b"\x01\x01", b"\x02\x01\x01null",
        b"\x02\x00" + b"[" * 100 + b"]" * 100,
        b"\x03\x01\x01{\"i32\":1,\"i64\":-9223372036854775808,\"u16\":65535,\"d\":1e308,\"b\":true,\"s\":\"x\","
        b"\"maybe\":null,\"list\":[\"a\"],\"counts\":{\"k\":3},"
        b"\"at\":{\"__sentinel\":\"timestamp\",\"value\":\"2024-05-01T12:30:00.000001+02:00\"},"
        b"\"wall\":{\"__sentinel\":\"timestamp\",\"value\":\"2024-05-01 12:30:00\"},"
        b"\"day\":{\"__sentinel\":\"date\",\"value\":\"2024-02-29\"},\"ymd\":\"infinity\","
        b"\"tod\":\"24:00:00\",\"id\":\"00112233-4455-6677-8899-aabbccddeeff\",\"amount\":\"1.50\",\"colour\":\"dark\"}",
        b"\x04\x00[null,{\"i32\":2147483648}]",
        # The flat fast path against the tree path (case 5).
        b"\x05\x00{\"i64\":-9223372036854775808,\"i16\":-32768,\"u32\":4294967295,\"d\":9007199254740993,"
        b"\"f\":16777217,\"b\":false,\"s\":\"plain\",\"maybe\":null,\"note\":\"n\"}",
        b"\x05\x00 { \"s\" : \"\" , \"b\":true,\"f\":-0,\"d\":18446744073709551615,\"u32\":0,\"i16\":7,\"i64\":1 } ",
        b"\x05\x00{\"i64\":1,\"i16\":1,\"u32\":1,\"d\":1,\"f\":1,\"b\":true,\"s\":\"a\\u0041\",\"maybe\":2147483647}",
    ],
    "decode_array": [
        b"\x00\x01" + arr(23, [be("i", 1), be("i", -1)]), b"\x00\x01" + arr(23, []),
        b"\x01\x02" + arr(20, [be("q", 5), None]), b"\x02\x00" + arr(21, [be("h", 7)], lower=-5),
        b"\x03\x03" + arr(25, [b"a", b"", b"\xc3\xa9"]), b"\x04\x03" + arr(25, [None, b"x"]),
        b"\x05\x04" + arr(701, [be("d", 0.5)]), b"\x06\x05" + arr(1700, [numeric(1, 0, 0, 0, [7])]),
        b"\x07\x06" + arr(1184, [be("q", 0)]), b"\x08\x07" + arr(1082, [be("i", 1), None]),
        b"\x09\x08" + arr(2950, [bytes(16)]), b"\x0a\x09" + arr(3802, [b"\x01{}"]),
        b"\x0b\x0d" + arr(3904, [rng(0x02, be("i", 1), be("i", 5))]),
        b"\x00\x01" + be("iiIii", 2, 0, 23, 1, 1) + be("ii", 1, 1) + be("i", 4) + be("i", 9),
        b"\x00\x01" + be("iiIii", 1, 0, 23, 2**31 - 1, 1), b"\x00\x01" + be("iiIii", 1, 0, 23, -1, 1),
        b"\x00\x01" + be("iiIii", 7, 0, 23, 1, 1), b"\x00\x01" + be("iiIii", -1, 0, 23, 1, 1),
        b"\x00\x01" + be("iiIii", 1, 0, 23, 1, 1) + be("i", 2**31 - 1), b"\x00\x0e" + arr(70000, [be("i", 3)]),
    ],
    "decode_range_composite": [
        b"\x00\x00" + rng(0x02, be("i", 1), be("i", 10)), b"\x00\x00" + rng(0x01), b"\x00\x00" + rng(0x18),
        b"\x01\x01" + rng(0x06, be("q", -1), be("q", 1)), b"\x02\x00" + rng(0x12, numeric(1, 0, 0, 0, [3])),
        b"\x03\x00" + rng(0x08 | 0x04, be("q", 0)), b"\x04\x00" + rng(0x02, be("i", 0), be("i", 1)),
        b"\x05\x00" + be("i", 2) + be("i", 9) + rng(0x02, be("i", 1), be("i", 2)) + be("i", 9) + rng(0x02, be("i", 5), be("i", 6)),
        b"\x05\x00" + be("i", 2**31 - 1), b"\x00\x00\xff", b"\x00\x00" + bytes([0x02]) + be("i", 2**31 - 1),
        b"\x07\x00" + be("i", 3) + be("Ii", 25, 4) + b"Main" + be("Ii", 23, -1) + be("Ii", 1700, 8) + numeric(0, 0, 0, 0, []),
        b"\x07\x01" + be("i", 3), b"\x07\x00" + be("i", -1),
        b"\x08\x00" + be("i", 3) + be("Ii", 20, 8) + be("q", 1) + be("Ii", 70001, -1) + be("Ii", 1007, 12) + arr(23, []),
    ],
    "parse_text": [
        b"\x00host=db dbname=app", b"\x00host='a b' port=5432", b"\x00dbname=", b"\x01postgresql://u:p@h:5432/d?sslmode=require",
        b"\x01postgres+asyncpg://u@[::1]:99999/d", b"\x01postgresql://h1:1,h2:2/d", b"\x01mysql://x", b"\x01postgresql://%zz@h/d",
        b"\x022024-02-29", b"\x02infinity", b"\x02-0001-01-01", b"\x0232767-12-31", b"\x03 2024-05-01T12:30:00.123456+02:00",
        b"\x032024-05-01T12:30:00.123456+02:00", b"\x032024-05-01 23:59:59Z", b"\x04-infinity", b"\x042024-05-01T24:00:00",
        b"\x0512.340", b"\x05-1e-5", b"\x05NaN", b"\x05-Infinity", b"\x051e147455", b"\x05.5E+3", b"\x05-0",
        b"\x062024-05-01T00:00:00+00:00", b"\x072024-05-01T00:00:00", b"\x082024-01-01", b"\x09infinity",
    ],
    "codegen_inputs": [
        b"\x00-- name: GetUser :one\nSELECT * FROM users WHERE id = @id;\n",
        b"\x00-- name: ListUsers :many\n-- Lists users.\nSELECT id FROM users WHERE name = sqlc.arg(name) AND id = ANY(sqlc.slice('ids'));\n"
        b"-- name: Touch :exec\nUPDATE users SET seen = now() WHERE id = $1;\n",
        b"\x00-- name: Emb :many\nSELECT sqlc.embed(u) FROM users u WHERE sqlc.narg('x')::int IS NULL;\n",
        b"\x00-- name: Bad :nope\nSELECT 1;\n", b"\x00-- name: Empty :one\n", b"\x00SELECT 1;\n",
        b"\x01SELECT 'it''s', \"Q\"\"x\", $$body$$, $t$x$t$, E'\\'' /* c /* n */ */ -- l\n, $1, @p::int",
        b"\x01'unterminated", b"\x01$tag$ never closed", b"\x01/* open",
        b"\x02{\"version\": \"2\", \"sql\": [{\"engine\": \"postgresql\", \"schema\": \"s.sql\", \"queries\": \"q.sql\","
        b" \"gen\": {\"pgorm\": {\"out\": \"o\"}}}]}",
        b"\x03version: \"2\"\nsql:\n  - schema: s.sql\n    queries: q.sql\n    engine: postgresql\n", b"\x03: [\n", b"\x02{",
    ],
    "migrate_split": [
        b"CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);", b"SELECT ';' AS x; SELECT \"a;b\";",
        b"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT f();",
        b"CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; SELECT 2; END;\nCALL p();",
        b"/* a /* nested */ comment; */ SELECT 1; -- tail;\n", b"SELECT E'\\';'; SELECT 2;",
        b"SELECT 'open", b"SELECT $x$ open", b"/* open", b"CREATE OR REPLACE FUNCTION g() BEGIN ATOMIC SELECT 1;",
        b";;;\n\n;", b"SELECT U&'\\0041'; SELECT $1;",
    ],
}

for target, inputs in seeds.items():
    folder = os.path.join(root, target)
    os.makedirs(folder, exist_ok=True)
    for i, data in enumerate(inputs):
        with open(os.path.join(folder, "seed-%02d" % i), "wb") as f:
            f.write(data)
print("wrote", sum(map(len, seeds.values())), "seeds for", len(seeds), "targets", file=sys.stderr)
