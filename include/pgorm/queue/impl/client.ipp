#pragma once
// Bodies of queue/client.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/queue/client.hpp>

namespace pgorm::queue {

PGORM_DECL std::string insert_channel(std::string_view queue_name) {
    return "pgmq.q_" + std::string(queue_name) + ".INSERT";
}

}  // namespace pgorm::queue
