#pragma once
// The non-template part of core/params.hpp: param_list's storage, and bounded_params' overflow.

#include <pgorm/core/params.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace pgorm {

namespace detail {
PGORM_DECL void throw_too_many_params(std::size_t bound) {
    throw usage_error("pgorm: more than " + std::to_string(bound) + " parameters for bounded_params");
}
}  // namespace detail

PGORM_DECL param_list::param_list() noexcept {
    types_ = small_types_.data();
    ints_ = small_ints_.data();
    values_ = small_values_.data();
}

PGORM_DECL param_list::param_list(const param_list& o)
    : data_(o.data_), size_(o.size_), small_types_(o.small_types_), small_ints_(o.small_ints_),
      heap_types_(o.heap_types_), heap_ints_(o.heap_ints_), heap_values_(o.heap_values_.size()) {
    point_at_arrays();
}

PGORM_DECL param_list& param_list::operator=(const param_list& o) {
    if (this != &o) {
        data_ = o.data_;
        size_ = o.size_;
        small_types_ = o.small_types_;
        small_ints_ = o.small_ints_;
        heap_types_ = o.heap_types_;
        heap_ints_ = o.heap_ints_;
        heap_values_.resize(o.heap_values_.size());
        point_at_arrays();
    }
    return *this;
}

PGORM_DECL param_list::param_list(param_list&& o) noexcept : param_list() { *this = std::move(o); }

PGORM_DECL param_list& param_list::operator=(param_list&& o) noexcept {
    if (this == &o) return *this;
    data_ = std::move(o.data_);
    size_ = std::exchange(o.size_, 0);
    small_types_ = o.small_types_;
    small_ints_ = o.small_ints_;
    heap_types_ = std::move(o.heap_types_);
    heap_ints_ = std::move(o.heap_ints_);
    heap_values_ = std::move(o.heap_values_);
    o.heap_types_.clear();
    o.heap_ints_.clear();
    o.heap_values_.clear();
    point_at_arrays();
    o.point_at_arrays();
    return *this;
}

PGORM_DECL param_list::~param_list() = default;

PGORM_DECL void param_list::point_at_arrays() noexcept {
    if (heap_types_.empty()) {
        cap_ = small_capacity;
        types_ = small_types_.data();
        ints_ = small_ints_.data();
        values_ = small_values_.data();
    } else {
        cap_ = heap_types_.size();
        types_ = heap_types_.data();
        ints_ = heap_ints_.data();
        values_ = heap_values_.data();
    }
}

PGORM_DECL int param_list::add_encoded(const detail::encoded_param& p) {
    if (size_ == cap_) grow(0);
    int off = -1;
    if (p.length >= 0) {
        off = static_cast<int>(data_.size());
        data_ += p.bytes;
    }
    return push(p.type, off, p.length >= 0 ? p.length : 0, p.format);
}

PGORM_DECL const std::vector<oid_t>& param_list::types() const {
    types_copy_.assign(types_, types_ + size_);
    return types_copy_;
}

PGORM_DECL param_refs param_list::refs() const {
    for (std::size_t k = 0; k < size_; ++k) values_[k] = ints_[k] < 0 ? nullptr : data_.data() + ints_[k];
    return {size(), types_, values_, ints_ + cap_, ints_ + 2 * cap_};
}

PGORM_DECL void param_list::grow(std::size_t want) {
    std::size_t old = cap_;
    std::size_t cap = std::max({std::size_t{16}, 2 * old, want});
    std::vector<oid_t> types(cap);
    std::vector<int> ints(3 * cap);
    std::copy_n(types_, size_, types.begin());
    for (std::size_t part = 0; part < 3; ++part)
        std::copy_n(ints_ + part * old, size_, ints.begin() + static_cast<std::ptrdiff_t>(part * cap));
    heap_types_.swap(types);
    heap_ints_.swap(ints);
    heap_values_.resize(cap);
    point_at_arrays();
}

}  // namespace pgorm
