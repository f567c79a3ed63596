-- Reserved while three changes were developed in parallel (so their migration numbers could not collide);
-- this one turned out to need no schema change. Intentionally a no-op.
SELECT 1;
