// expect: error: no type named .+specialise_pgorm_codec_of_this_type_or_include_its_codec_header.+ in .+pgorm::detail::member_type_has_no_codec<&inventory::gauge::reference_point, inventory::point>
// The 7th of nine members has no codec: the first error line names the struct and that member
// (&inventory::gauge::reference_point), its type, and what to do; the rest stays under 30 lines.
#include <pgorm.hpp>

namespace inventory {
struct point { double x, y; };
struct gauge {
    std::string id;
    std::string label;
    int low = 0;
    int high = 0;
    double reading = 0;
    bool calibrated = false;
    point reference_point;
    std::optional<std::string> note;
    long serial = 0;
};
BOOST_DESCRIBE_STRUCT(gauge, (), (id, label, low, high, reading, calibrated, reference_point, note, serial))
PGORM_TABLE(gauge, "gauges", key(&gauge::id));
}  // namespace inventory

int main() {
    pgorm::connection c{"postgresql://localhost/none"};
    pgorm::repository<inventory::gauge> gauges{c};
    inventory::gauge g = gauges.insert(inventory::gauge{});
    auto got = gauges.get(std::string("g1"));
    auto many = gauges.find(pgorm::col(&inventory::gauge::high) > 2);
    gauges.update(g);
    return static_cast<int>(many.size()) + got.has_value();
}
