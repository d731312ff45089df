// expect: 63-byte identifier limit
// connection::query<T> into a described struct whose member name (71 bytes) no result column can
// carry: the server truncates column names to 63 bytes. Refused at compile time.
#include <pgorm.hpp>

struct Report {
    int id;
    int a_struct_member_name_that_is_seventy_one_bytes_long_and_so_too_long_xxx;
};
BOOST_DESCRIBE_STRUCT(Report, (), (id, a_struct_member_name_that_is_seventy_one_bytes_long_and_so_too_long_xxx))

void read(pgorm::connection& c) { c.query<Report>("SELECT * FROM report"); }

int main() {}
