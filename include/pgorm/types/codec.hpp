#pragma once
// The codec trait: how one C++ type travels to and from PostgreSQL in binary format.
//
// To teach pgorm a type, specialise `pgorm::codec<T>` (see docs/custom-types.md):
//
//   template <> struct pgorm::codec<Money> {
//       static constexpr oid_t type_oid = oid::int8;      // sent with parameters (0: server infers)
//       static constexpr oid_t array_oid = oid::int8_array;  // oid of Money[] (0: send arrays as text)
//       static constexpr std::string_view sql_name = "bigint";  // for error messages
//       static bool accepts(oid_t column) noexcept { return column == oid::int8; }
//       static void encode(const Money& v, std::string& out);      // append binary wire bytes
//       static void decode(std::string_view in, oid_t column, Money& out);  // throw decode_error
//   };
//
// Optional members: `static constexpr bool nullable` with `is_null(const T&)` / `set_null(T&)`
// (std::optional uses them), `static constexpr int format = 0` plus `encode_text` for types
// whose parameters travel as text.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/error.hpp>
#include <pgorm/types/oid.hpp>

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace pgorm {

template <class T, class Enable = void>
struct codec;  // no codec: specialise pgorm::codec<T> (docs/custom-types.md)

template <class T>
concept has_codec = requires { codec<std::remove_cvref_t<T>>::type_oid; };

/// True for types whose codec can represent SQL NULL (std::optional and friends).
template <class T>
concept nullable_value = has_codec<T> && requires { requires codec<std::remove_cvref_t<T>>::nullable; };

namespace detail {
/// `codec_required<T>::value` is has_codec<T>; when false, instantiating it is one compile error
/// that says what to do and (in its "In instantiation of" line) names T. A class template is
/// instantiated once per type, so the parameter binder, the column check and the row reader can
/// all ask without repeating the message.
template <class T>
struct codec_required {
    static constexpr bool value = has_codec<T>;  // a plain bool keeps concept notes out of the diagnostic
    static_assert(value,
                  "pgorm: this C++ type has no codec (it is named in 'codec_required<...>' above): specialise "
                  "pgorm::codec<Type> (docs/custom-types.md) or include the header of its codec "
                  "(<pgorm/types.hpp> has them all)");
};
}  // namespace detail

/// 1 = binary (the default), 0 = text: the wire format a parameter of type T uses.
template <class T>
constexpr int param_format_of() {
    if constexpr (requires { codec<T>::format; }) return codec<T>::format;
    else return 1;
}

/// A readable C++ type name for error messages, from the compiler's signature of this function.
template <class T>
constexpr std::string_view cpp_type_name() {
    std::string_view f = __PRETTY_FUNCTION__;  // "... [with T = int; std::string_view = ...]"
    auto start = f.find("T = ");
    if (start == std::string_view::npos) return "?";
    start += 4;
    auto end = f.find_first_of(";]", start);
    return f.substr(start, end - start);
}

namespace wire {

template <std::unsigned_integral U>
constexpr U byteswap(U u) noexcept {
    if constexpr (sizeof(U) == 2) return static_cast<U>(__builtin_bswap16(u));
    else if constexpr (sizeof(U) == 4) return static_cast<U>(__builtin_bswap32(u));
    else return static_cast<U>(__builtin_bswap64(u));
}

// Big-endian integer access; PostgreSQL's binary format is network byte order.
template <std::integral I>
inline void put(std::string& out, I v) {
    using U = std::make_unsigned_t<I>;
    U u = static_cast<U>(v);
    if constexpr (std::endian::native == std::endian::little && sizeof(U) > 1) u = byteswap(u);
    out.append(reinterpret_cast<const char*>(&u), sizeof u);
}

template <std::integral I>
inline I get(const char* p) noexcept {
    using U = std::make_unsigned_t<I>;
    U u;
    std::memcpy(&u, p, sizeof u);
    if constexpr (std::endian::native == std::endian::little && sizeof(U) > 1) u = byteswap(u);
    return static_cast<I>(u);
}

/// expect_size's decode_error, out of line (types/impl/codec.ipp): the check stays a compare.
[[noreturn, gnu::cold]] PGORM_DECL void throw_wrong_size(std::size_t got, std::size_t n, std::string_view what);

/// Throws decode_error unless exactly `n` bytes arrived for a fixed-width type.
inline void expect_size(std::string_view in, std::size_t n, std::string_view what) {
    if (in.size() != n) [[unlikely]]
        throw_wrong_size(in.size(), n, what);
}

/// A cursor over binary input that refuses to read past the end.
class reader {
public:
    explicit reader(std::string_view in, std::string_view what) : in_(in), what_(what) {}
    template <std::integral I>
    I read() {
        need(sizeof(I));
        I v = get<I>(in_.data() + pos_);
        pos_ += sizeof(I);
        return v;
    }
    std::string_view bytes(std::size_t n) {
        need(n);
        auto v = in_.substr(pos_, n);
        pos_ += n;
        return v;
    }
    bool done() const noexcept { return pos_ == in_.size(); }
    /// Throws decode_error unless the unread bytes can hold `count` items of at least `bytes_each`
    /// bytes: a count read from the wire is checked before anything is allocated for it.
    void expect_room_for(std::int64_t count, std::size_t bytes_each, std::string_view items) const {
        if (count > static_cast<std::int64_t>((in_.size() - pos_) / bytes_each))
            throw decode_error("pgorm: " + std::string(what_) + " value on the wire claims " + std::to_string(count) +
                               " " + std::string(items) + ", more than its remaining " +
                               std::to_string(in_.size() - pos_) + " bytes can hold");
    }

private:
    void need(std::size_t n) const {
        if (in_.size() - pos_ < n)
            throw decode_error("pgorm: truncated " + std::string(what_) + " value on the wire");
    }
    std::string_view in_;
    std::string_view what_;
    std::size_t pos_ = 0;
};

}  // namespace wire

/// Throws type_mismatch when codec<T> cannot decode a column of type `column`.
template <class T>
void check_accepts(oid_t column, std::string_view column_name) {
    if (!codec<T>::accepts(column))
        throw type_mismatch("pgorm: column \"" + std::string(column_name) + "\" has type " +
                            type_name_of(column) + ", which C++ type " + std::string(cpp_type_name<T>()) +
                            " (" + std::string(codec<T>::sql_name) + ") cannot hold");
}

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/types/impl/codec.ipp>
#endif
