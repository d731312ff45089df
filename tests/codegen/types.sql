-- name: PutKinds :exec
INSERT INTO kinds (id, host, net, mac, mac8, price, flags, vflags, doc, words, spot, r4, r8, rnum, rts, rtstz, rdate, m4, m8, mnum, mts, mtstz, mdate, hosts, nets, macs, mac8s, prices, flagss, vflagss, docs, wordss, spots, r4s, r8s, rnums, rtss, rtstzs, rdates, m4s, m8s, mnums, mtss, mtstzs, mdates)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41, $42, $43, $44, $45);

-- name: GetKinds :one
SELECT * FROM kinds WHERE id = $1;

-- name: HostsIn :many
SELECT id FROM kinds WHERE host << $1 ORDER BY id;

-- name: Overlapping :many
SELECT id, r4 FROM kinds WHERE r4 && $1 ORDER BY id;
