-- Enforcement: a faster wg_id_from_key (one sha256, nibble read with get_byte instead of a bit-string
-- cast): sweeps derive tens of thousands of ids per run. Same output as 0010 and as idFromKey().
CREATE OR REPLACE FUNCTION wg_id_from_key(k text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (substr(h, 1, 12) || '8' || substr(h, 14, 3) || substr('89ab', ((get_byte(d, 8) >> 4) & 3) + 1, 1) || substr(h, 18, 15))::uuid
  FROM (SELECT d, encode(d, 'hex') AS h FROM (SELECT sha256(convert_to(k, 'UTF8')) AS d) a) b
$$;
