-- The benchmark's tables (pgorm-bench creates them in its own scratch database; pgorm-gen reads
-- this file to type bench/queries.sql). A user-like row: text key, text columns, one nullable,
-- a bigint, a boolean and a timestamptz; and a job queue for the SKIP LOCKED workload.
CREATE TABLE bench_users (
    id TEXT COLLATE "C" PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT,
    credits BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE bench_jobs (
    id BIGINT PRIMARY KEY,
    payload TEXT NOT NULL
);
