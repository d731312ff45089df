#pragma once
// Statement parameters: every value is encoded by its codec into one buffer and bound, never
// spliced into SQL text. `packed_params` serves the variadic calls (sizes known at compile time,
// no allocation once the buffer has grown); `param_list` serves statements built at run time.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/types/codec.hpp>
#include <pgorm/types/string.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <utility>
#include <string>
#include <type_traits>
#include <vector>

namespace pgorm {

/// What libpq's PQexecParams family takes, and what the statement cache
/// (core/detail/statement_cache.hpp) may assume about it.
struct param_refs {
    int count = 0;
    const oid_t* types = nullptr;
    const char* const* values = nullptr;
    const int* lengths = nullptr;
    const int* formats = nullptr;
    /// `types` is a constant array in static storage (packed_params: the OIDs are fixed by the
    /// C++ argument types), so two calls with the same pointer have the same types.
    bool static_types = false;
    /// The statement's SQL text is in static storage and never changes while the program runs (a
    /// string literal, a function-local `static const std::string`), so the same address and
    /// length mean the same text. Only pgorm's own statements set it; never for text that may be
    /// freed, such as a std::string temporary, whose address a different text may take next.
    bool static_text = false;
};

namespace detail {

/// The type OID a parameter of type T is bound with (0 when T has no codec: binding it fails to
/// compile, with codec_required's message).
template <class T>
constexpr oid_t param_oid_of() {
    if constexpr (has_codec<T>) return codec<std::remove_cvref_t<T>>::type_oid;
    else return 0;
}

/// The OIDs and formats of the parameters A..., fixed by their types: one constant array per
/// list of argument types, which packed_params points at instead of filling its own per call.
template <class... A>
inline constexpr std::array<oid_t, sizeof...(A)> param_oids{param_oid_of<A>()...};
template <class... A>
inline constexpr std::array<int, sizeof...(A)> param_formats{param_format_of<std::remove_cvref_t<A>>()...};

/// Encodes v, whose type has a codec, at the end of buf: its offset and length there, offset -1
/// for NULL.
template <class T>
void encode_param_value(std::string& buf, const T& v, int& offset, int& length) {
    using C = codec<std::remove_cvref_t<T>>;
    if constexpr (nullable_value<T>) {
        if (C::is_null(v)) {
            offset = -1;
            length = 0;
            return;
        }
    }
    std::size_t start = buf.size();
    if constexpr (param_format_of<std::remove_cvref_t<T>>() == 0) {
        C::encode_text(v, buf);
        length = static_cast<int>(buf.size() - start);
        // libpq reads a text-format parameter up to its NUL and ignores the length (PostgreSQL
        // docs 34.3.1, PQexecParams): end it here, or it runs on into the next parameter's bytes.
        buf.push_back('\0');
    } else {
        C::encode(v, buf);
        length = static_cast<int>(buf.size() - start);
    }
    offset = static_cast<int>(start);
}

/// encode_param_value, with the type and format T is bound with.
template <class T>
void encode_known_param(std::string& buf, const T& v, oid_t& type, int& offset, int& length, int& format) {
    type = param_oid_of<T>();
    format = param_format_of<std::remove_cvref_t<T>>();
    encode_param_value(buf, v, offset, length);
}

/// encode_known_param, or one readable error when T has no codec.
template <class T>
void encode_param(std::string& buf, const T& v, oid_t& type, int& offset, int& length, int& format) {
    if constexpr (codec_required<std::remove_cvref_t<T>>::value) encode_known_param(buf, v, type, offset, length, format);
}

template <class T> inline constexpr bool is_text_object = std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>;
template <class T> inline constexpr bool is_borrowable = is_text_object<T>;
template <class T> inline constexpr bool is_borrowable<std::optional<T>> = is_text_object<T>;

/// Text needs no encoding: when the arguments outlive the statement call (execute(), repository
/// statements), its bytes are sent from the caller's own object, as hand-written libpq code does.
/// `value` points at them (nullptr for NULL); `offset` becomes -2 ("borrowed"), or -1 for NULL.
/// Its type is text and its format binary (1), as param_oid_of and param_format_of say.
template <class T>
void borrow_param_value(const T& v, const char*& value, int& offset, int& length) {
    std::string_view s;
    if constexpr (is_text_object<T>) {
        s = v;
    } else {
        if (!v) {
            value = nullptr;
            offset = -1;
            length = 0;
            return;
        }
        s = *v;
    }
    check_no_nul(s);  // as codec<std::string>::encode does for text that is not borrowed
    value = s.data() ? s.data() : "";  // a null pointer would read as NULL
    offset = -2;
    length = static_cast<int>(s.size());
}

/// borrow_param_value, with the type and format the text is bound with.
template <class T>
void borrow_param(const T& v, oid_t& type, const char*& value, int& offset, int& length, int& format) {
    type = param_oid_of<T>();
    format = param_format_of<std::remove_cvref_t<T>>();
    borrow_param_value(v, value, offset, length);
}

/// Encodes into buf, or borrows the caller's bytes (see borrow_param_value).
template <class T>
void bind_param(std::string& buf, const T& v, oid_t& type, const char*& value, int& offset, int& length, int& format) {
    if constexpr (is_borrowable<std::remove_cvref_t<T>>) borrow_param(v, type, value, offset, length, format);
    else encode_param(buf, v, type, offset, length, format);
}

/// A parameter encoded before its statement is rendered (a repository filter's value), so that
/// the filter's nodes need not be templates; param_list::add_encoded binds it.
struct encoded_param {
    oid_t type = 0;
    int format = 1;
    int length = -1;    // -1: NULL
    std::string bytes;  // the wire bytes (a text-format value is followed by its NUL)
};

/// v encoded by its codec, as param_list::add would bind it.
template <class T>
encoded_param encode_ahead(const T& v) {
    encoded_param p;
    int offset = -1;
    encode_param(p.bytes, v, p.type, offset, p.length, p.format);
    if (offset < 0) p.length = -1;
    return p;
}

/// bounded_params' overflow, out of line: one copy rather than one per parameter type and bound.
[[noreturn, gnu::cold]] PGORM_DECL void throw_too_many_params(std::size_t bound);

/// The value pointer of a parameter bound by bind_param, once buf has stopped growing.
inline const char* param_value(const std::string& buf, int offset, const char* borrowed) noexcept {
    return offset >= 0 ? buf.data() + offset : offset == -1 ? nullptr : borrowed;
}

}  // namespace detail

template <std::size_t N>
class packed_params {
public:
    /// `scratch` is cleared and reused; it must outlive this object, and so must the arguments
    /// (text is sent from their own bytes).
    template <class... A>
    explicit packed_params(std::string& scratch, const A&... args)
        : types_(&detail::param_oids<A...>), formats_(detail::param_formats<A...>.data()) {
        static_assert(sizeof...(A) == N);
        scratch.clear();
        bind(scratch, std::index_sequence_for<A...>{}, args...);
    }
    /// Pointers into the scratch buffer, the arguments and constant arrays (types and formats are
    /// fixed by the argument types: refs().static_types is set).
    param_refs refs() const noexcept {
        return {static_cast<int>(N), types_->data(), values_.data(), lengths_.data(), formats_, true};
    }
    const std::array<oid_t, N>& types() const noexcept { return *types_; }

private:
    // What the type decides is decided at compile time: text is borrowed, and only encoded
    // values need their pointer into the buffer, once it has stopped growing.
    template <class... A, std::size_t... I>
    void bind(std::string& scratch, std::index_sequence<I...>, const A&... args) {
        std::array<int, N> offsets;
        (bind_one(scratch, args, values_[I], offsets[I], lengths_[I]), ...);
        const char* base = scratch.data();
        (point_into<A>(base, offsets[I], values_[I]), ...);
    }
    template <class T>
    static void bind_one(std::string& scratch, const T& v, const char*& value, int& offset, int& length) {
        if constexpr (detail::is_borrowable<std::remove_cvref_t<T>>) detail::borrow_param_value(v, value, offset, length);
        else if constexpr (detail::codec_required<std::remove_cvref_t<T>>::value)
            detail::encode_param_value(scratch, v, offset, length);
    }
    template <class T>
    static void point_into(const char* base, int offset, const char*& value) noexcept {
        if constexpr (detail::is_borrowable<std::remove_cvref_t<T>>) return;  // set by borrow_param_value
        else if constexpr (nullable_value<T>) value = offset < 0 ? nullptr : base + offset;
        else value = base + offset;
    }

    const std::array<oid_t, N>* types_;
    const int* formats_;
    std::array<const char*, N> values_;
    std::array<int, N> lengths_;
};

template <>
class packed_params<0> {
public:
    explicit packed_params(std::string&) {}
    param_refs refs() const noexcept { return {}; }
    std::array<oid_t, 0> types() const noexcept { return {}; }
};

/// At most N parameters chosen at run time (the masked columns of one row), kept on the stack:
/// no allocation per statement once `scratch` has grown. `scratch` is cleared and must outlive
/// this, and so must the added values (text is sent from their own bytes).
template <std::size_t N>
class bounded_params {
public:
    explicit bounded_params(std::string& scratch) : buf_(&scratch) { scratch.clear(); }
    template <class T>
    int add(const T& v) {
        if (n_ == N) [[unlikely]]
            detail::throw_too_many_params(N);
        detail::bind_param(*buf_, v, types_[n_], values_[n_], offsets_[n_], lengths_[n_], formats_[n_]);
        return static_cast<int>(++n_);
    }
    int size() const noexcept { return static_cast<int>(n_); }
    /// Pointers into the buffer; valid until the buffer changes.
    param_refs refs() {
        for (std::size_t k = 0; k < n_; ++k) values_[k] = detail::param_value(*buf_, offsets_[k], values_[k]);
        return {static_cast<int>(n_), types_.data(), values_.data(), lengths_.data(), formats_.data()};
    }

private:
    std::string* buf_;
    std::size_t n_ = 0;
    std::array<oid_t, N> types_;
    std::array<int, N> offsets_, lengths_, formats_;
    std::array<const char*, N> values_;
};

/// Parameters collected at run time (dynamic filters, multi-row inserts). `add` returns the
/// placeholder number ($n) of the value just added. Its non-template members are defined in
/// core/impl/params.ipp, so that in separate-compilation mode a translation unit compiles no
/// std::vector code for it.
class param_list {
public:
    param_list() noexcept;
    param_list(const param_list& o);
    param_list& operator=(const param_list& o);
    // A moved-from list is empty (its heap arrays went with the move, so its count must too).
    param_list(param_list&& o) noexcept;
    param_list& operator=(param_list&& o) noexcept;
    ~param_list();

    template <class T>
    int add(const T& v) {
        if (size_ == cap_) grow(0);
        oid_t t;
        int off, len, fmt;
        detail::encode_param(data_, v, t, off, len, fmt);
        return push(t, off, len, fmt);
    }
    /// Binds a parameter encoded ahead (detail::encode_ahead); returns its placeholder number.
    int add_encoded(const detail::encoded_param& p);
    int size() const noexcept { return static_cast<int>(size_); }
    bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept {
        data_.clear();
        size_ = 0;
    }
    /// The parameter types, in order.
    const std::vector<oid_t>& types() const;

    /// Room for `n` parameters without reallocating (statements with many rows of values).
    void reserve(std::size_t n) {
        if (n > cap_) grow(n);
    }

    /// Pointers into the buffer; valid until the next add() or clear().
    param_refs refs() const;

private:
    // Up to small_capacity parameters live inside the object (a filter's few values cost no
    // allocation); more move to the heap. Offsets, lengths and formats share one array:
    // [offsets | lengths | formats], each cap_ long. types_, ints_ and values_ point at the
    // arrays in use, the small ones or the heap ones.
    static constexpr std::size_t small_capacity = 8;

    // Records the parameter just written to data_ (room for it was made first).
    int push(oid_t type, int offset, int length, int format) noexcept {
        types_[size_] = type;
        ints_[size_] = offset;
        ints_[cap_ + size_] = length;
        ints_[2 * cap_ + size_] = format;
        return static_cast<int>(++size_);
    }
    void grow(std::size_t want);
    void point_at_arrays() noexcept;  // after the heap arrays changed hands

    std::string data_;
    std::size_t size_ = 0;
    std::size_t cap_ = small_capacity;
    oid_t* types_ = nullptr;
    int* ints_ = nullptr;
    const char** values_ = nullptr;
    std::array<oid_t, small_capacity> small_types_{};
    std::array<int, 3 * small_capacity> small_ints_{};
    std::array<const char*, small_capacity> small_values_{};
    std::vector<oid_t> heap_types_;  // sized to the capacity once in use
    std::vector<int> heap_ints_;
    std::vector<const char*> heap_values_;
    mutable std::vector<oid_t> types_copy_;
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/impl/params.ipp>
#endif
