#pragma once
// Statement parameters: every value is encoded by its codec into one buffer and bound, never
// spliced into SQL text. `packed_params` serves the variadic calls (sizes known at compile time,
// no allocation once the buffer has grown); `param_list` serves statements built at run time.

#include <pgorm/types/codec.hpp>

#include <array>
#include <string>
#include <vector>

namespace pgorm {

/// What libpq's PQexecParams family takes.
struct param_refs {
    int count = 0;
    const oid_t* types = nullptr;
    const char* const* values = nullptr;
    const int* lengths = nullptr;
    const int* formats = nullptr;
};

namespace detail {

/// Encodes v at the end of buf; offset -1 marks NULL.
template <class T>
void encode_param(std::string& buf, const T& v, oid_t& type, int& offset, int& length, int& format) {
    using C = codec<std::remove_cvref_t<T>>;
    static_assert(has_codec<T>, "pgorm: no codec for this parameter type; specialise pgorm::codec<T>");
    type = C::type_oid;
    format = param_format_of<std::remove_cvref_t<T>>();
    if constexpr (nullable_value<T>) {
        if (C::is_null(v)) {
            offset = -1;
            length = 0;
            return;
        }
    }
    std::size_t start = buf.size();
    if constexpr (param_format_of<std::remove_cvref_t<T>>() == 0) C::encode_text(v, buf);
    else C::encode(v, buf);
    offset = static_cast<int>(start);
    length = static_cast<int>(buf.size() - start);
}

}  // namespace detail

template <std::size_t N>
class packed_params {
public:
    /// `scratch` is cleared and reused; it must outlive this object.
    template <class... A>
    explicit packed_params(std::string& scratch, const A&... args) {
        static_assert(sizeof...(A) == N);
        scratch.clear();
        std::array<int, N> offsets{};
        std::size_t i = 0;
        ((detail::encode_param(scratch, args, types_[i], offsets[i], lengths_[i], formats_[i]), ++i), ...);
        for (std::size_t k = 0; k < N; ++k) values_[k] = offsets[k] < 0 ? nullptr : scratch.data() + offsets[k];
    }
    param_refs refs() const noexcept {
        return {static_cast<int>(N), types_.data(), values_.data(), lengths_.data(), formats_.data()};
    }
    const std::array<oid_t, N>& types() const noexcept { return types_; }

private:
    std::array<oid_t, N> types_{};
    std::array<const char*, N> values_{};
    std::array<int, N> lengths_{};
    std::array<int, N> formats_{};
};

template <>
class packed_params<0> {
public:
    explicit packed_params(std::string&) {}
    param_refs refs() const noexcept { return {}; }
    std::array<oid_t, 0> types() const noexcept { return {}; }
};

/// Parameters collected at run time (dynamic filters, multi-row inserts). `add` returns the
/// placeholder number ($n) of the value just added.
class param_list {
public:
    template <class T>
    int add(const T& v) {
        if (types_.capacity() == 0) reserve(initial_capacity);  // one allocation each, not a doubling series
        oid_t t;
        int off, len, fmt;
        detail::encode_param(data_, v, t, off, len, fmt);
        types_.push_back(t);
        offsets_.push_back(off);
        lengths_.push_back(len);
        formats_.push_back(fmt);
        return static_cast<int>(types_.size());
    }
    int size() const noexcept { return static_cast<int>(types_.size()); }
    bool empty() const noexcept { return types_.empty(); }
    void clear() noexcept {
        data_.clear();
        types_.clear();
        offsets_.clear();
        lengths_.clear();
        formats_.clear();
    }
    const std::vector<oid_t>& types() const noexcept { return types_; }

    /// Room for `n` parameters without reallocating (statements with many rows of values).
    void reserve(std::size_t n) {
        types_.reserve(n);
        offsets_.reserve(n);
        lengths_.reserve(n);
        formats_.reserve(n);
        values_.reserve(n);
        data_.reserve(n * 16);
    }

    /// Pointers into the buffer; valid until the next add() or clear().
    param_refs refs() const {
        values_.resize(offsets_.size());
        for (std::size_t k = 0; k < offsets_.size(); ++k)
            values_[k] = offsets_[k] < 0 ? nullptr : data_.data() + offsets_[k];
        return {size(), types_.data(), values_.data(), lengths_.data(), formats_.data()};
    }

private:
    static constexpr std::size_t initial_capacity = 16;
    std::string data_;
    std::vector<oid_t> types_;
    std::vector<int> offsets_, lengths_, formats_;
    mutable std::vector<const char*> values_;
};

}  // namespace pgorm
