#pragma once
// The non-template part of core/stream.hpp: ending a stream early.

#include <pgorm/core/stream.hpp>

namespace pgorm::detail {

PGORM_DECL void finish_stream(PGconn* pg, bool may_cancel) noexcept {
    if (may_cancel) {
        if (PGcancel* cancel = PQgetCancel(pg)) {
            char err[256];
            PQcancel(cancel, err, sizeof err);
            PQfreeCancel(cancel);
        }
    }
    while (PGresult* r = PQgetResult(pg)) PQclear(r);
}

}  // namespace pgorm::detail
