-- Enforcement: wg_id_from_key without a FROM clause, so the planner can inline it (0013's form ran
-- the SQL-function executor per call: ~25 µs per id, and a first sweep derives ~50,000 ids). The
-- digest is cut to 16 bytes and the version (8) and variant (10xx) bits set with set_byte — the same
-- output as 0013 and as idFromKey() in TypeScript (tests compare them).
CREATE OR REPLACE FUNCTION wg_uuid_from_digest(d bytea) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT encode(set_byte(set_byte(substring(d from 1 for 16), 6, (get_byte(d, 6) & 15) | 128), 8, (get_byte(d, 8) & 63) | 128), 'hex')::uuid
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION wg_id_from_key(k text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT wg_uuid_from_digest(sha256(convert_to(k, 'UTF8')))
$$;
