// Codecs against the exact bytes PostgreSQL sends and receives in binary format. Each expected
// string is the output of the type's send function (PostgreSQL 15 source, src/backend/utils/adt:
// int2send/int4send/int8send network-order integers, float4send/float8send IEEE 754 big-endian,
// boolsend one byte, textsend the raw bytes, date_send int32 days since 2000-01-01,
// timestamp_send int64 microseconds since 2000-01-01 00:00, interval_send time/day/month,
// numeric_send ndigits/weight/sign/dscale + base-10000 digits, array_send (arrayfuncs.c),
// jsonb_send version byte 1 + text) and the PostgreSQL docs, chapter 8 (date/time epoch) and
// the `COPY` binary format section (field layout).
#include <pgorm/types.hpp>

#include <catch2/catch.hpp>

#include <boost/uuid/string_generator.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono;
using namespace std::string_literals;

namespace {

template <class T>
std::string encoded(const T& v) {
    std::string out;
    pgorm::codec<T>::encode(v, out);
    return out;
}

template <class T>
T decoded(const std::string& bytes, pgorm::oid_t column) {
    T v{};
    pgorm::codec<T>::decode(bytes, column, v);
    return v;
}

}  // namespace

TEST_CASE("integers are big-endian two's complement of their width", "[unit][codec]") {
    CHECK(encoded<std::int16_t>(258) == "\x01\x02"s);
    CHECK(encoded<std::int32_t>(-2) == "\xff\xff\xff\xfe"s);
    CHECK(encoded<std::int64_t>(1) == "\x00\x00\x00\x00\x00\x00\x00\x01"s);
    CHECK(decoded<std::int16_t>("\xff\xff"s, pgorm::oid::int2) == -1);
    CHECK(decoded<std::int32_t>("\x00\x01\x00\x00"s, pgorm::oid::int4) == 65536);
    CHECK(decoded<std::int64_t>("\x80\x00\x00\x00\x00\x00\x00\x00"s, pgorm::oid::int8) == INT64_MIN);
}

TEST_CASE("a value of the wrong width or range is refused, not misread", "[unit][codec]") {
    // The width is read from the value's length (2, 4 or 8 bytes), so any other length is refused.
    CHECK_THROWS_AS(decoded<std::int32_t>("\x00\x01\x02"s, pgorm::oid::int4), pgorm::decode_error);
    CHECK_THROWS_AS(decoded<std::int16_t>("\x00\x01\x00\x00"s, pgorm::oid::int4), pgorm::value_out_of_range);
    CHECK(decoded<std::int64_t>("\x00\x07"s, pgorm::oid::int2) == 7);  // widening reads any int column
}

TEST_CASE("floats are IEEE 754 big-endian", "[unit][codec]") {
    CHECK(encoded<float>(1.5f) == "\x3f\xc0\x00\x00"s);
    CHECK(encoded<double>(-2.5) == "\xc0\x04\x00\x00\x00\x00\x00\x00"s);
    CHECK(decoded<double>("\x3f\xf0\x00\x00\x00\x00\x00\x00"s, pgorm::oid::float8) == 1.0);
    CHECK(decoded<float>("\xc0\x00\x00\x00"s, pgorm::oid::float4) == -2.0f);
}

TEST_CASE("bool is one byte, text and bytea are their bytes", "[unit][codec]") {
    CHECK(encoded<bool>(true) == "\x01"s);
    CHECK(encoded<bool>(false) == "\x00"s);
    CHECK(decoded<bool>("\x01"s, pgorm::oid::bool_));
    CHECK(encoded<std::string>("h\xc3\xa9llo") == "h\xc3\xa9llo"s);
    CHECK(decoded<std::string>("a\x00z"s, pgorm::oid::text) == "a\x00z"s);
    std::vector<unsigned char> blob{0x00, 0xff, 0x10};
    CHECK(encoded(blob) == "\x00\xff\x10"s);
    CHECK(decoded<std::vector<unsigned char>>("\xde\xad"s, pgorm::oid::bytea) == std::vector<unsigned char>{0xde, 0xad});
}

TEST_CASE("uuid is its 16 bytes in order", "[unit][codec]") {
    auto u = boost::uuids::string_generator()("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    const std::string wire = "\xa0\xee\xbc\x99\x9c\x0b\x4e\xf8\xbb\x6d\x6b\xb9\xbd\x38\x0a\x11"s;
    CHECK(encoded(u) == wire);
    CHECK(decoded<boost::uuids::uuid>(wire, pgorm::oid::uuid) == u);
}

TEST_CASE("date and timestamps count from 2000-01-01", "[unit][codec]") {
    CHECK(encoded(sys_days{2000y / 1 / 2}) == "\x00\x00\x00\x01"s);
    CHECK(encoded(sys_days{1999y / 12 / 31}) == "\xff\xff\xff\xff"s);
    CHECK(decoded<sys_days>("\x00\x00\x01\x6e"s, pgorm::oid::date) == sys_days{2001y / 1 / 1});  // 366 days
    pgorm::timestamptz one_second = sys_days{2000y / 1 / 1} + 1s;
    CHECK(encoded(one_second) == "\x00\x00\x00\x00\x00\x0f\x42\x40"s);  // 1,000,000 us
    CHECK(decoded<pgorm::timestamptz>("\xff\xff\xff\xff\xff\xff\xff\xff"s, pgorm::oid::timestamptz) ==
          sys_days{2000y / 1 / 1} - 1us);
    pgorm::timestamp local = local_days{2000y / 1 / 1} + 1s;
    CHECK(encoded(local) == "\x00\x00\x00\x00\x00\x0f\x42\x40"s);
}

TEST_CASE("interval is microseconds, then days, then months", "[unit][codec]") {
    pgorm::interval i;
    i.months = 1;
    i.days = 2;
    i.time = 3s;
    const std::string wire = "\x00\x00\x00\x00\x00\x2d\xc6\xc0" "\x00\x00\x00\x02" "\x00\x00\x00\x01"s;
    CHECK(encoded(i) == wire);
    CHECK(decoded<pgorm::interval>(wire, pgorm::oid::interval) == i);
    CHECK_THROWS_AS(decoded<microseconds>(wire, pgorm::oid::interval), pgorm::value_out_of_range);  // a month
}

TEST_CASE("numeric is ndigits, weight, sign, dscale and base-10000 digits", "[unit][codec]") {
    // 12345.678 = 1 | 2345 . 6780: three digits, weight 1, positive, 3 decimals.
    const std::string wire = "\x00\x03\x00\x01\x00\x00\x00\x03" "\x00\x01\x09\x29\x1a\x7c"s;
    CHECK(decoded<pgorm::numeric>(wire, pgorm::oid::numeric).str() == "12345.678");
    CHECK(encoded(pgorm::numeric("12345.678")) == wire);
    // -0.5: one digit 5000 at weight -1, sign 0x4000, 1 decimal.
    const std::string half = "\x00\x01\xff\xff\x40\x00\x00\x01" "\x13\x88"s;
    CHECK(decoded<pgorm::numeric>(half, pgorm::oid::numeric).str() == "-0.5");
    CHECK(encoded(pgorm::numeric("-0.5")) == half);
    const std::string nan = "\x00\x00\x00\x00\xc0\x00\x00\x00"s;  // NUMERIC_NAN
    CHECK(decoded<pgorm::numeric>(nan, pgorm::oid::numeric).is_nan());
    CHECK(encoded(pgorm::numeric("NaN")) == nan);
}

TEST_CASE("a one-dimensional array carries its header, then length-prefixed elements", "[unit][codec]") {
    // ndim 1, has-null flag, element type int4 (23), size 2, lower bound 1, then (4, 1), (4, 2).
    const std::string ints = "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x17\x00\x00\x00\x02\x00\x00\x00\x01"
                             "\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x02"s;
    CHECK(encoded(std::vector<std::int32_t>{1, 2}) == ints);
    CHECK(decoded<std::vector<std::int32_t>>(ints, pgorm::oid::int4_array) == std::vector<std::int32_t>{1, 2});
    // {7,NULL}: has-null 1 and length -1 for the NULL element.
    const std::string with_null = "\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x17\x00\x00\x00\x02\x00\x00\x00\x01"
                                  "\x00\x00\x00\x04\x00\x00\x00\x07\xff\xff\xff\xff"s;
    std::vector<std::optional<std::int32_t>> maybe{7, std::nullopt};
    CHECK(encoded(maybe) == with_null);
    CHECK(decoded<std::vector<std::optional<std::int32_t>>>(with_null, pgorm::oid::int4_array) == maybe);
    CHECK_THROWS_AS(decoded<std::vector<std::int32_t>>(with_null, pgorm::oid::int4_array), pgorm::unexpected_null);
    CHECK_THROWS_AS(decoded<std::vector<std::int32_t>>(ints.substr(0, 30), pgorm::oid::int4_array), pgorm::decode_error);
}

TEST_CASE("jsonb starts with version byte 1; json is plain text", "[unit][codec]") {
    pgorm::jsonb<> doc;
    doc.text = R"({"a":1})";
    CHECK(encoded(doc) == "\x01{\"a\":1}"s);
    CHECK(decoded<pgorm::jsonb<>>("\x01[true]"s, pgorm::oid::jsonb).text == "[true]");
    CHECK_THROWS_AS(decoded<pgorm::jsonb<>>("\x02[true]"s, pgorm::oid::jsonb), pgorm::decode_error);
    pgorm::json plain;
    plain.text = "[1]";
    CHECK(encoded(plain) == "[1]");
}
