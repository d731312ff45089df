#pragma once
// Bodies of bus/handlers.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/bus/handlers.hpp>

namespace pgorm::bus {

PGORM_DECL void handler_context::extend_visibility(std::chrono::seconds seconds) {
    auto h = pool_->acquire();
    queue::client<jsonb_text>(h, commands_queue(domain_)).set_vt(msg_id, seconds);
}

PGORM_DECL const handler_registry::erased_handler* handler_registry::find(std::string_view domain,
                                                                          std::string_view command_type) const {
    auto it = handlers_.find(std::make_pair(std::string(domain), std::string(command_type)));
    return it == handlers_.end() ? nullptr : &it->second;
}

}  // namespace pgorm::bus
