#pragma once
// The bodies of types/numeric.hpp's wire format: decimal text to PostgreSQL's base-10000 binary
// numeric and back (PostgreSQL source, utils/adt/numeric.c, numeric_send / numeric_recv).

#include <pgorm/types/numeric.hpp>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace pgorm::detail::numeric_wire {

PGORM_DECL bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

PGORM_DECL void malformed(std::string_view s) {
    throw usage_error("pgorm: \"" + std::string(s) +
                      "\" is not a numeric value (expected digits with an "
                      "optional sign, point and exponent, or NaN / Infinity / -Infinity)");
}

PGORM_DECL decimal parse(std::string_view s) {
    decimal d;
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) d.negative = s[i++] == '-';
    auto digits = [&](std::string& into) {
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') into.push_back(s[i++]);
    };
    digits(d.int_digits);
    if (i < s.size() && s[i] == '.') {
        ++i;
        digits(d.frac_digits);
    }
    if (d.int_digits.empty() && d.frac_digits.empty()) malformed(s);
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        bool neg_exp = false;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg_exp = s[i++] == '-';
        std::string e;
        digits(e);
        if (e.empty()) malformed(s);
        std::int64_t exp = 0;
        for (char c : e) {
            exp = exp * 10 + (c - '0');
            if (exp > max_exponent)
                throw value_out_of_range("pgorm: numeric \"" + std::string(s) + "\" has an exponent out of range");
        }
        if (neg_exp) {  // move digits from the integer part into the fraction
            auto n = static_cast<std::size_t>(exp);
            if (d.int_digits.size() < n) d.int_digits.insert(0, n - d.int_digits.size(), '0');
            d.frac_digits.insert(0, d.int_digits, d.int_digits.size() - n, n);
            d.int_digits.resize(d.int_digits.size() - n);
        } else {
            auto n = static_cast<std::size_t>(exp);
            if (d.frac_digits.size() < n) d.frac_digits.append(n - d.frac_digits.size(), '0');
            d.int_digits.append(d.frac_digits, 0, n);
            d.frac_digits.erase(0, n);
        }
    }
    if (i != s.size()) malformed(s);
    return d;
}

PGORM_DECL void encode(std::string_view s, std::string& out) {
    auto special = [&](std::uint16_t sign) {
        wire::put<std::int16_t>(out, 0);  // ndigits
        wire::put<std::int16_t>(out, 0);  // weight
        wire::put<std::uint16_t>(out, sign);
        wire::put<std::int16_t>(out, 0);  // dscale
    };
    if (iequals(s, "nan")) return special(nan);
    for (std::string_view inf : {"infinity", "inf", "+infinity", "+inf"})
        if (iequals(s, inf)) return special(pinf);
    for (std::string_view inf : {"-infinity", "-inf"})
        if (iequals(s, inf)) return special(ninf);

    decimal d = parse(s);
    d.int_digits.erase(0, std::min(d.int_digits.find_first_not_of('0'), d.int_digits.size()));
    if (static_cast<std::int64_t>(d.int_digits.size()) > max_int_digits ||
        static_cast<std::int64_t>(d.frac_digits.size()) > max_dscale)
        throw value_out_of_range("pgorm: numeric \"" + std::string(s).substr(0, 40) +
                                 "\" exceeds PostgreSQL's limits (131072 digits before the point, 16383 after)");
    const auto dscale = static_cast<std::int16_t>(d.frac_digits.size());

    // Base-10000 digits: pad the integer part on the left and the fraction on the right to
    // whole groups of four, so the point falls between groups.
    std::string all(d.int_digits);
    all.insert(0, (4 - all.size() % 4) % 4, '0');
    int weight = static_cast<int>(all.size() / 4) - 1;
    all += d.frac_digits;
    all.append((4 - all.size() % 4) % 4, '0');
    std::vector<std::int16_t> groups;
    groups.reserve(all.size() / 4);
    for (std::size_t g = 0; g < all.size(); g += 4)
        groups.push_back(static_cast<std::int16_t>((all[g] - '0') * 1000 + (all[g + 1] - '0') * 100 +
                                                   (all[g + 2] - '0') * 10 + (all[g + 3] - '0')));
    std::size_t first = 0;
    while (first < groups.size() && groups[first] == 0) ++first, --weight;
    std::size_t last = groups.size();
    while (last > first && groups[last - 1] == 0) --last;
    const bool zero = first == last;

    wire::put<std::uint16_t>(out, static_cast<std::uint16_t>(last - first));
    wire::put<std::int16_t>(out, static_cast<std::int16_t>(zero ? 0 : weight));
    wire::put<std::uint16_t>(out, d.negative && !zero ? negative : positive);
    wire::put<std::int16_t>(out, dscale);
    for (std::size_t g = first; g < last; ++g) wire::put<std::int16_t>(out, groups[g]);
}

PGORM_DECL std::string decode(std::string_view in) {
    wire::reader r(in, "numeric");
    const int ndigits = r.read<std::uint16_t>();  // unsigned on the wire, as numeric_recv reads it
    const auto weight = r.read<std::int16_t>();
    const auto sign = r.read<std::uint16_t>();
    const auto dscale = r.read<std::int16_t>();
    if (sign == nan) return "NaN";
    if (sign == pinf) return "Infinity";
    if (sign == ninf) return "-Infinity";
    if ((sign != positive && sign != negative) || dscale < 0)
        throw decode_error("pgorm: malformed numeric header on the wire (sign " + std::to_string(sign) + ")");
    std::vector<std::int16_t> groups(static_cast<std::size_t>(ndigits));
    for (auto& g : groups) {
        g = r.read<std::int16_t>();
        if (g < 0 || g > 9999) throw decode_error("pgorm: numeric digit group " + std::to_string(g) + " out of range");
    }
    if (!r.done()) throw decode_error("pgorm: trailing bytes after a numeric value");
    auto group = [&](int k) -> int {  // group k counts from the first digit, may be out of the array
        return k >= 0 && k < ndigits ? groups[static_cast<std::size_t>(k)] : 0;
    };
    auto append4 = [](std::string& s, int g) {
        char b[4] = {char('0' + g / 1000), char('0' + g / 100 % 10), char('0' + g / 10 % 10), char('0' + g % 10)};
        s.append(b, 4);
    };

    std::string s;
    if (sign == negative) s.push_back('-');
    if (weight < 0) {
        s.push_back('0');
    } else {
        std::string ip;
        for (int k = 0; k <= weight; ++k) append4(ip, group(k));
        ip.erase(0, std::min(ip.find_first_not_of('0'), ip.size() - 1));
        s += ip;
    }
    if (dscale > 0) {
        std::string fp;
        for (int k = weight + 1; static_cast<int>(fp.size()) < dscale; ++k) append4(fp, group(k));
        fp.resize(static_cast<std::size_t>(dscale));
        s.push_back('.');
        s += fp;
    }
    // Digits hidden by dscale are dropped (numeric_recv truncates them); a value left all zeros
    // is zero, which PostgreSQL never prints as "-0".
    if (sign == negative && s.find_first_of("123456789") == std::string::npos) s.erase(0, 1);
    return s;
}

}  // namespace pgorm::detail::numeric_wire
