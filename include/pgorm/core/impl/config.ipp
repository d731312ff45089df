#pragma once
// config's URL and key=value parsing, validation and redaction (core/config.hpp).

#include <pgorm/core/config.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace pgorm {

PGORM_DECL config config::from_url(std::string_view url) {
    std::string u(url);
    auto scheme_end = u.find("://");
    if (scheme_end == std::string::npos)
        throw config_error("pgorm: malformed database URL '" + redact(u) +
                           "': expected postgresql://user:password@host:port/dbname");
    std::string scheme = u.substr(0, scheme_end);
    if (auto plus = scheme.find('+'); plus != std::string::npos) scheme.resize(plus);
    if (scheme != "postgresql" && scheme != "postgres")
        throw config_error("pgorm: unsupported URL scheme '" + u.substr(0, scheme_end) + "' in '" + redact(u) +
                           "': expected postgresql:// or postgres://");
    u = "postgresql" + u.substr(scheme_end);
    const std::string shown = redact(u);
    auto prepare = take_url_option(u, prepare_option);
    auto call_timeout = take_url_option(u, call_timeout_option);
    config c = with_options(u, prepare, call_timeout, shown);
    check_ports(u);
    validate(u, redact(u));
    return c;
}

PGORM_DECL config config::parse(std::string_view conninfo) {
    if (conninfo.find("://") != std::string_view::npos) return from_url(conninfo);
    if (conninfo.find('=') == std::string_view::npos)
        throw config_error("pgorm: malformed connection string '" + std::string(conninfo) +
                           "': expected postgresql://user:password@host:port/dbname or key=value pairs");
    std::string ci(conninfo);
    const std::string shown = redact(ci);
    auto prepare = take_keyword_option(ci, prepare_option);
    auto call_timeout = take_keyword_option(ci, call_timeout_option);
    config c = with_options(ci, prepare, call_timeout, shown);
    validate(ci, redact(ci));
    return c;
}

PGORM_DECL config config::from_env() {
    if (const char* url = std::getenv("DATABASE_URL"); url && *url) return from_url(url);
    auto var = [](const char* n) -> std::string {
        const char* v = std::getenv(n);
        return v ? v : "";
    };
    std::string host = var("DATABASE_HOST"), name = var("DATABASE_NAME");
    if (host.empty() || name.empty())
        throw config_error(
            "pgorm: no database configured: set DATABASE_URL, or DATABASE_HOST and "
            "DATABASE_NAME (with DATABASE_PORT, DATABASE_USER, DATABASE_PASSWORD)");
    std::string port = var("DATABASE_PORT");
    if (!port.empty() && port.find_first_not_of("0123456789") != std::string::npos)
        throw config_error("pgorm: DATABASE_PORT must be a number, got '" + port + "'");
    std::string ci = "host=" + quote(host) + " dbname=" + quote(name);
    if (!port.empty()) ci += " port=" + port;
    if (auto user = var("DATABASE_USER"); !user.empty()) ci += " user=" + quote(user);
    if (auto pw = var("DATABASE_PASSWORD"); !pw.empty()) ci += " password=" + quote(pw);
    validate(ci, "DATABASE_* settings");
    return config{ci};
}

PGORM_DECL std::string config::redacted() const { return redact(conninfo); }

PGORM_DECL std::string config::redact(const std::string& s) {
    std::string r = s;
    const auto scheme = r.find("://");
    const bool url = scheme != std::string::npos;
    if (url) {  // user:password@ before the path, as libpq reads it
        auto at = r.find_first_of("@/", scheme + 3);
        auto colon = r.find(':', scheme + 3);
        if (at != std::string::npos && r[at] == '@' && colon < at) r.replace(colon + 1, at - colon - 1, "***");
    }
    // Every password value: key=value form (blanks allowed around '=') and URL query parameters.
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    for (auto pw = r.find("password"); pw != std::string::npos; pw = r.find("password", pw + 1)) {
        if (pw > 0 && !blank(r[pw - 1]) && r[pw - 1] != '?' && r[pw - 1] != '&') continue;
        std::size_t start = pw + 8;
        while (start < r.size() && blank(r[start])) ++start;
        if (start >= r.size() || r[start] != '=') continue;
        ++start;
        while (!url && start < r.size() && blank(r[start])) ++start;
        std::size_t end = start;
        if (!url && end < r.size() && r[end] == '\'') {  // quoted: up to the closing unescaped quote
            for (++end; end < r.size() && r[end] != '\''; ++end)
                if (r[end] == '\\') ++end;
            end = std::min(end + 1, r.size());
        } else {
            while (end < r.size() && !(url ? r[end] == '&' || r[end] == '#' : blank(r[end]))) ++end;
        }
        r.replace(start, end - start, "***");
    }
    return r;
}

PGORM_DECL std::string config::quote(const std::string& v) {
    std::string q = "'";
    for (char c : v) {
        if (c == '\'' || c == '\\') q.push_back('\\');
        q.push_back(c);
    }
    return q + "'";
}

PGORM_DECL config config::with_options(std::string conninfo, const std::optional<std::string>& prepare,
                                       const std::optional<std::string>& call_timeout, const std::string& shown) {
    config c{std::move(conninfo)};
    if (prepare) c.prepared_statements = prepare_value(*prepare, shown);
    if (call_timeout) c.call_timeout = duration_value(call_timeout_option, *call_timeout, shown);
    return c;
}

PGORM_DECL std::chrono::milliseconds config::duration_value(std::string_view option, std::string_view v,
                                                            const std::string& shown) {
    auto digits = v.find_first_not_of("0123456789");
    std::string_view number = v.substr(0, digits), unit = digits == std::string_view::npos ? "" : v.substr(digits);
    std::int64_t scale = unit.empty() || unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "min" ? 60'000 : 0;
    if (number.empty() || number.size() > 9 || scale == 0)
        throw config_error("pgorm: " + std::string(option) +
                           " must be a whole number of milliseconds, optionally with a unit (5000, 5000ms, 5s, "
                           "1min; 0: no limit), got '" +
                           std::string(v) + "' in '" + shown + "'");
    std::int64_t n = 0;
    for (char c : number) n = n * 10 + (c - '0');
    return std::chrono::milliseconds(n * scale);
}

PGORM_DECL bool config::prepare_value(std::string_view v, const std::string& shown) {
    for (std::string_view on : {"on", "true", "1", "yes"})
        if (v == on) return true;
    for (std::string_view off : {"off", "false", "0", "no"})
        if (v == off) return false;
    throw config_error("pgorm: " + std::string(prepare_option) +
                       " must be on or off (also true/false, 1/0, yes/no), got '" + std::string(v) + "' in '" + shown +
                       "'");
}

PGORM_DECL std::optional<std::string> config::take_url_option(std::string& u, std::string_view option) {
    auto query = u.find('?');
    if (query == std::string::npos) return std::nullopt;
    auto fragment = u.find('#', query);
    std::string tail = fragment == std::string::npos ? "" : u.substr(fragment);
    std::string params = u.substr(query + 1, fragment == std::string::npos ? std::string::npos : fragment - query - 1);
    std::string kept;
    std::optional<std::string> value;
    std::size_t pos = 0;
    while (pos <= params.size()) {
        auto amp = params.find('&', pos);
        std::string item = params.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        auto eq = item.find('=');
        if (std::string_view(item).substr(0, eq) == option) {
            value = eq == std::string::npos ? std::string() : item.substr(eq + 1);
        } else if (!item.empty()) {
            kept += (kept.empty() ? "" : "&") + item;
        }
        if (amp == std::string::npos) break;
        pos = amp + 1;
    }
    u = u.substr(0, query) + (kept.empty() ? "" : "?" + kept) + tail;
    return value;
}

PGORM_DECL std::optional<std::string> config::take_keyword_option(std::string& ci, std::string_view option) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    std::optional<std::string> value;
    for (auto at = ci.find(option); at != std::string::npos; at = ci.find(option, at)) {
        std::size_t p = at + option.size();
        while (p < ci.size() && blank(ci[p])) ++p;
        if ((at > 0 && !blank(ci[at - 1])) || p >= ci.size() || ci[p] != '=') {
            at += option.size();  // part of another word or value
            continue;
        }
        ++p;
        while (p < ci.size() && blank(ci[p])) ++p;
        std::size_t end = p;
        while (end < ci.size() && !blank(ci[end])) ++end;
        value = ci.substr(p, end - p);
        ci.erase(at, end - at);
    }
    return value;
}

PGORM_DECL void config::check_ports(const std::string& u) {
    auto start = u.find("://") + 3;
    auto end = u.find_first_of("/?", start);
    std::string authority = u.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
    std::size_t pos = 0;
    while (pos <= authority.size()) {  // host lists: h1:p1,h2:p2
        auto comma = authority.find(',', pos);
        std::string host = authority.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        auto bracket = host.rfind(']');
        auto colon = host.rfind(':');
        if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
            std::string port = host.substr(colon + 1);
            if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
                std::stoi(port) > 65535)
                throw config_error("pgorm: malformed database URL '" + redact(u) + "': port '" + port +
                                   "' is not a number from 1 to 65535");
        }
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
}

PGORM_DECL void config::validate(const std::string& conninfo, const std::string& shown) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
    if (!opts) {
        std::string why = err ? err : "out of memory";
        PQfreemem(err);
        while (!why.empty() && why.back() == '\n') why.pop_back();
        throw config_error("pgorm: malformed database URL '" + shown + "': " + why);
    }
    PQconninfoFree(opts);
}

}  // namespace pgorm
