-- placeholder: filled in by a later change (kept so parallel branches do not collide on numbering)
SELECT 1;
