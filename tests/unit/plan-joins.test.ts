import { describe, expect, it } from 'vitest';
import { splitStatements } from '../helpers/plan-capture.js';
import { conjuncts, projectEquality, untiedJoins } from '../helpers/plan-joins.js';
import type { PlanNode } from '../helpers/plan-capture.js';

describe('plan reading helpers (citus-joins.test.ts)', () => {
  it('splits a message at top-level semicolons only', () => {
    expect(splitStatements(`SELECT ';'; -- a; comment\nSELECT "a;b" FROM t; /* x; */ TRUNCATE s;`).map((x) => x.trim()))
      .toEqual([`SELECT ';'`, `-- a; comment\nSELECT "a;b" FROM t`, `/* x; */ TRUNCATE s`]);
  });

  it('reads only the top-level AND of a condition', () => {
    expect(conjuncts('((a.id = b.id) AND (a.project_id = b.project_id))')).toEqual(['a.id = b.id', 'a.project_id = b.project_id']);
    expect(conjuncts('((r.project_id IS NULL) OR (r.project_id = o.project_id))')).toEqual(['(r.project_id IS NULL) OR (r.project_id = o.project_id)']);
    expect(conjuncts(`((x.k = 'a AND b') AND (y.v > 1))`)).toEqual([`x.k = 'a AND b'`, 'y.v > 1']);
  });

  it('knows a project equality: two project_ids, a projects id, a project constant', () => {
    expect(projectEquality('a.project_id = b.project_id')).toEqual(['rel:a', 'rel:b']);
    expect(projectEquality('d.project_id = p.id', (x) => x === 'p')).toEqual(['rel:d', 'rel:p']);
    expect(projectEquality('d.project_id = p.id')).toBeNull(); // p is not the projects table
    expect(projectEquality(`l.project_id = '0192aaaa-0000-7000-8000-000000000001'::uuid`)).toEqual(['rel:l', `const:'0192aaaa-0000-7000-8000-000000000001'`]);
    expect(projectEquality('a.project_id = b.worker_id')).toBeNull();
    expect(projectEquality('(r.project_id IS NULL) OR (r.project_id = o.project_id)')).toBeNull();
  });

  it('a semi join returns its outer rows only; a UNION ties each branch to the first', () => {
    const scan = (rel: string, alias: string, extra: Record<string, unknown> = {}): PlanNode => ({ 'Node Type': 'Seq Scan', 'Relation Name': rel, Schema: 'public', Alias: alias, ...extra });
    const owned = new Set(['a', 'b', 'c']);
    // (a ⋉ b on project) ⋈ c on a.id: the semi join's inner b does not count on the upper join's left side
    const semi: PlanNode = { 'Node Type': 'Hash Join', 'Join Type': 'Inner', 'Hash Cond': '(c.x = a.id)', Plans: [
      { 'Node Type': 'Hash Join', 'Join Type': 'Semi', 'Parent Relationship': 'Outer', 'Hash Cond': '((a.id = b.id) AND (a.project_id = b.project_id))',
        Plans: [{ ...scan('a', 'a'), 'Parent Relationship': 'Outer' }, { ...scan('b', 'b'), 'Parent Relationship': 'Inner' }] },
      { 'Node Type': 'Hash', 'Parent Relationship': 'Inner', Plans: [{ ...scan('c', 'c'), 'Parent Relationship': 'Outer' }] },
    ] };
    const f = untiedJoins({ phase: 't', sql: 'x', plan: semi, tempProjectTables: [] }, owned);
    expect(f.map((x) => [x.left.map((r) => r.alias), x.right.map((r) => r.alias)])).toEqual([[['a'], ['c']]]);
    // (a ∪ b) ⋈ c on the union's project column, named after a: b is tied through the union
    const union: PlanNode = { 'Node Type': 'Hash Join', 'Join Type': 'Inner', 'Hash Cond': '(c.project_id = a.project_id)', Plans: [
      { 'Node Type': 'Append', 'Parent Relationship': 'Outer', Plans: [
        { ...scan('a', 'a'), 'Parent Relationship': 'Member', Output: ['a.project_id'] }, { ...scan('b', 'b'), 'Parent Relationship': 'Member', Output: ['b.project_id'] }] },
      { ...scan('c', 'c'), 'Parent Relationship': 'Inner' },
    ] };
    expect(untiedJoins({ phase: 't', sql: 'x', plan: union, tempProjectTables: [] }, owned)).toEqual([]);
  });
});
