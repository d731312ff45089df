-- commands.status references command_status_enum: index it on its own, as every foreign key is
-- (seed 002); commands_status_idx leads with domain and does not serve that reference.
-- migrate:up
CREATE INDEX commands_status_fk_idx ON commands(status);

-- migrate:down
DROP INDEX commands_status_fk_idx;
