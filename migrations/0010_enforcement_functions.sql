-- Enforcement: the SQL twin of src/lib/ids.ts idFromKey(), so set-based sweeps can derive the same
-- deterministic ids (cases, timeline rows, outbox events) as TypeScript code without a round trip
-- per row. A unit test pins the two implementations to each other.
CREATE OR REPLACE FUNCTION wg_id_from_key(k text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-8' || substr(h, 14, 3) || '-'
    || to_hex((('x' || lpad(substr(h, 17, 1), 8, '0'))::bit(32)::int & 3) | 8) || substr(h, 18, 3) || '-' || substr(h, 21, 12))::uuid
  FROM (SELECT encode(sha256(convert_to(k, 'UTF8')), 'hex') AS h) x
$$;
