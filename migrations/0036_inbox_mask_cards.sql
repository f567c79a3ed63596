-- The bank inbox keeps no full card after processing (issue 21, item 2): applied disbursement.result events keep
-- their body with every creditorCardNumber masked (first 4, last 4, as maskBankCard); body_hash stays as received.
-- Converts the rows already applied, in place; pending rows keep their full body until they are applied.
UPDATE "webhook_inbox" w
  SET "body" = (
    SELECT (b || jsonb_build_object('cardsMasked', true,
      'data', (b -> 'data') || jsonb_build_object('results', (
        SELECT coalesce(jsonb_agg(CASE WHEN jsonb_typeof(r -> 'creditorCardNumber') = 'string' AND position('*' in r ->> 'creditorCardNumber') = 0
            THEN r || jsonb_build_object('creditorCardNumber', left(r ->> 'creditorCardNumber', 4) || ' **** **** ' || right(r ->> 'creditorCardNumber', 4))
            ELSE r END ORDER BY t.ord), '[]'::jsonb)
        FROM jsonb_array_elements(b -> 'data' -> 'results') WITH ORDINALITY AS t(r, ord)))))::text
    FROM (SELECT w."body"::jsonb AS b) s)
  WHERE w."processed_at" IS NOT NULL AND w."body" IS NOT NULL AND w."body" LIKE '%creditorCardNumber%'
    AND jsonb_typeof(w."body"::jsonb -> 'data' -> 'results') = 'array';
