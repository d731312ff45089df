// expect: 63-byte limit for enum labels
// A described enum whose enumerator (64 bytes) cannot be a PostgreSQL enum label.
#include <pgorm.hpp>

enum class shade { dark, a_member_name_that_is_exactly_sixty_four_bytes_long_xxxxxxxxxxxx };
BOOST_DESCRIBE_ENUM(shade, dark, a_member_name_that_is_exactly_sixty_four_bytes_long_xxxxxxxxxxxx)

int main() {
    std::string out;
    pgorm::codec<shade>::encode(shade::dark, out);
    return static_cast<int>(out.size());
}
