-- Enforcement: wg_id_from_key as plpgsql with the digest in a local variable. 0022's SQL form was not
-- inlined in practice (the nested function references its argument three times) and ran the SQL
-- function executor with sha256 computed up to three times per id: ~7–13 µs per call against ~2.5 µs
-- here (measured over 100,000 keys on the bench database). A first sweep derives ~50,000 ids. Same
-- output as before and as idFromKey() in TypeScript (version 8, variant 10xx; tests compare them).
CREATE OR REPLACE FUNCTION wg_id_from_key(k text) RETURNS uuid
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE d bytea := sha256(convert_to(k, 'UTF8'));
BEGIN
  RETURN encode(set_byte(set_byte(substring(d from 1 for 16), 6, (get_byte(d, 6) & 15) | 128), 8, (get_byte(d, 8) & 63) | 128), 'hex')::uuid;
END
$$;
--> statement-breakpoint
-- No reader looks members up by line (cases → members → lines); the index only cost every insert.
DROP INDEX IF EXISTS arrears_case_workers_line_idx;
