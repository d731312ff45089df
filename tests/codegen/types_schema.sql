-- Schema for test_codegen_types: one column per type pgorm-gen maps since issue 19 (item 4), each
-- also as an array, all nullable so that NULL round-trips too.
CREATE TABLE kinds (
    id integer PRIMARY KEY,
    host inet, net cidr, mac macaddr, mac8 macaddr8, price money,
    flags bit(4), vflags varbit, doc xml, words tsvector, spot point,
    r4 int4range, r8 int8range, rnum numrange, rts tsrange, rtstz tstzrange, rdate daterange,
    m4 int4multirange, m8 int8multirange, mnum nummultirange, mts tsmultirange,
    mtstz tstzmultirange, mdate datemultirange,
    hosts inet[], nets cidr[], macs macaddr[], mac8s macaddr8[], prices money[],
    flagss bit(4)[], vflagss varbit[], docs xml[], wordss tsvector[], spots point[],
    r4s int4range[], r8s int8range[], rnums numrange[], rtss tsrange[], rtstzs tstzrange[], rdates daterange[],
    m4s int4multirange[], m8s int8multirange[], mnums nummultirange[], mtss tsmultirange[],
    mtstzs tstzmultirange[], mdates datemultirange[]
);
