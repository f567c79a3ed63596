/**
 * Reads EXPLAIN (VERBOSE, FORMAT JSON) plans and finds every join between rows of two project-owned
 * relations that is not tied by `project_id` equality: the joins Citus could not keep on one shard
 * when the tables are distributed by project_id.
 *
 * What counts as a join: Nested Loop / Hash Join / Merge Join (outer side against inner side), and a
 * SubPlan (a correlated or hashed subquery) against the node that evaluates it. InitPlans (CTE bodies,
 * uncorrelated scalars) are not joins; their own joins are checked where they occur.
 *
 * A relation is project-owned when it is a public table with a project_id column, a session temp table
 * with one (the sweep's derived tables), or a CTE / subquery / aggregate over such rows. An aggregate
 * whose group key has no project_id folds several projects' rows into one: it is a relation of its own,
 * tied to a project only when its rows are pinned to one (a constant, or a lateral correlation). A semi
 * or anti join yields its outer rows only.
 *
 * Tied: the plan states `a.project_id = b.project_id` (or `a.project_id = p.id` with p scanning
 * `projects`) for some project-owned `a` on one side and `b` on the other — directly or through a chain
 * of such equalities (the planner keeps one equality of an equivalence class where it fits best), or
 * both sides are pinned to the same project constant. Only top-level AND-ed equalities count:
 * `(r.project_id IS NULL OR r.project_id = o.project_id)` does not. A UNION ties its branches' project
 * columns together. For PostgreSQL 15's SubPlans, see `subPlanOnProject`.
 */
import type { CapturedPlan, PlanNode } from './plan-capture.js';

export interface Rel { alias: string; kind: 'table' | 'cte' | 'subquery' | 'aggregate' | 'other'; name: string; tables: string[] }
export interface JoinFinding { phase: string; sql: string; join: string; conds: string[]; left: Rel[]; right: Rel[] }

const COND_FIELDS = ['Hash Cond', 'Merge Cond', 'Join Filter', 'Index Cond', 'Recheck Cond', 'Filter', 'One-Time Filter', 'TID Cond'];
const JOINS = new Set(['Nested Loop', 'Hash Join', 'Merge Join']);
const GROUPING = new Set(['Aggregate', 'Group', 'Unique', 'SetOp']);
const NOT_JOIN_CHILD = new Set(['InitPlan', 'SubPlan']);

const children = (n: PlanNode, which: 'main' | 'sub' | 'all'): PlanNode[] =>
  (n.Plans ?? []).filter((c) => {
    const rel = String(c['Parent Relationship'] ?? '');
    return which === 'all' ? true : which === 'sub' ? rel === 'SubPlan' : !NOT_JOIN_CHILD.has(rel);
  });

function* walk(n: PlanNode): Generator<PlanNode> {
  yield n;
  for (const c of n.Plans ?? []) yield* walk(c);
}

/** Top-level conjuncts of a condition, outer parentheses removed. */
export function conjuncts(cond: string): string[] {
  const strip = (s: string): string => {
    s = s.trim();
    while (s.startsWith('(') && s.endsWith(')')) {
      let depth = 0;
      let wraps = true;
      for (let i = 0; i < s.length; i++) {
        if (s[i] === '(') depth++;
        else if (s[i] === ')') depth--;
        if (depth === 0 && i < s.length - 1) { wraps = false; break; }
      }
      if (!wraps) break;
      s = s.slice(1, -1).trim();
    }
    return s;
  };
  const s = strip(cond);
  const out: string[] = [];
  let depth = 0;
  let q = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "'") q = !q;
    if (q) continue;
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && s.startsWith(' AND ', i)) {
      out.push(strip(s.slice(start, i)));
      start = i + 5;
    }
  }
  out.push(strip(s.slice(start)));
  return out;
}

const IDENT = `(?:"[^"]+"|[A-Za-z_][\\w$]*)`;
const TERM = `(?:(${IDENT})\\.(project_id|id)|('[0-9a-f-]{36}'(?:::uuid)?))`;
const EQ = new RegExp(`^\\(?${TERM}\\)?(?:::uuid)?\\s*=\\s*\\(?${TERM}\\)?(?:::uuid)?$`);

/**
 * The project equality a conjunct states, as two terms (`rel:<alias>` or `const:<uuid>`), or null.
 * `x.project_id` is the project of x's row; so is `p.id` when `p` scans `projects` (`isProjects`).
 */
export function projectEquality(c: string, isProjects: (alias: string) => boolean = () => false): [string, string] | null {
  const m = EQ.exec(c);
  if (!m) return null;
  const term = (alias: string | undefined, col: string | undefined, lit: string | undefined): string | null => {
    if (lit) return `const:${lit.replace(/::uuid$/, '')}`;
    const a = alias!.replace(/"/g, '');
    return col === 'project_id' || isProjects(a) ? `rel:${a}` : null;
  };
  const a = term(m[1], m[2], m[3]);
  const b = term(m[4], m[5], m[6]);
  return a && b ? [a, b] : null;
}

class UnionFind {
  private p = new Map<string, string>();
  find(x: string): string {
    let r = x;
    while (this.p.has(r) && this.p.get(r) !== r) r = this.p.get(r)!;
    this.p.set(x, r);
    return r;
  }
  union(a: string, b: string): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra !== rb) this.p.set(ra, rb);
  }
}

/** Every join between project-owned rows in one captured plan that lacks project_id equality. */
export function untiedJoins(cap: CapturedPlan, ownedTables: ReadonlySet<string>): JoinFinding[] {
  const root = cap.plan;
  if (!root) return [];
  const temp = new Set(cap.tempProjectTables);
  const ctes = new Map<string, PlanNode>();
  const uf = new UnionFind();
  const projectsAliases = new Set([...walk(root)].filter((n) => n['Relation Name'] === 'projects').map((n) => String(n.Alias ?? 'projects')));
  for (const n of walk(root)) {
    const sub = String(n['Subplan Name'] ?? '');
    if (sub.startsWith('CTE ')) ctes.set(sub.slice(4), n);
    for (const f of COND_FIELDS) {
      const v = n[f];
      if (typeof v !== 'string') continue;
      for (const c of conjuncts(v)) {
        const eq = projectEquality(c, (a) => projectsAliases.has(a));
        if (eq) uf.union(eq[0], eq[1]);
      }
    }
  }
  // UNION branches: a row's project is the project of whichever branch produced it, and the plan names
  // the result after the first branch's columns, so each branch's project column is tied to the first's.
  const projectCol = (e: string): string | null => {
    const m = /^\(?("[^"]+"|[A-Za-z_][\w$]*)\.(project_id|id)\)?$/.exec(e);
    if (!m) return null;
    const a = m[1]!.replace(/"/g, '');
    return m[2] === 'project_id' || projectsAliases.has(a) ? `rel:${a}` : null;
  };
  for (const n of walk(root)) {
    if (!['Append', 'MergeAppend', 'Recursive Union', 'SetOp'].includes(n['Node Type'])) continue;
    const [first, ...rest] = children(n, 'main').map((c) => (c.Output as string[] | undefined) ?? []);
    for (const out of rest) {
      (first ?? []).forEach((e, k) => {
        const [a, b] = [projectCol(e), out[k] !== undefined ? projectCol(out[k]!) : null];
        if (a && b) uf.union(a, b);
      });
    }
  }

  // A month partition (`bank_records_p202612`, 0067 machinery) is its parent table for this check.
  const relName = (n: PlanNode): string => String(n['Relation Name']).replace(/_p\d{6}$/, '');
  const tableOwned = (n: PlanNode): string | null => {
    const name = relName(n);
    const schema = String(n.Schema ?? 'public');
    if (schema === 'public' && ownedTables.has(name)) return name;
    if (schema.startsWith('pg_temp') && temp.has(name)) return `temp:${name}`;
    return null;
  };
  const aggIds = new Map<PlanNode, string>();
  const isProjectTerm = (e: string) => /\.project_id\b/.test(e) || [...projectsAliases].some((p) => e.includes(`${p}.id`));
  const keepsProjects = (x: PlanNode): boolean => {
    const keys = (x['Group Key'] as string[] | undefined) ?? (x['Node Type'] === 'Unique' || x['Node Type'] === 'SetOp' ? (x.Output as string[] | undefined) ?? [] : []);
    return keys.some(isProjectTerm);
  };
  // A subquery or an aggregate evaluated per outer row (LATERAL, or pinned to a constant) carries the
  // project its inner equalities tie it to: `k.project_id = pl.project_id` inside a lateral subquery
  // over worker_cards k ties the subquery's rows to pl's project.
  const tieToOutside = (id: string, x: PlanNode) => {
    const aliases = new Set([...walk(x)].map((y) => String(y.Alias ?? '')).filter(Boolean));
    const outside = new Set<string>();
    for (const y of walk(x)) {
      for (const f of COND_FIELDS) {
        if (typeof y[f] !== 'string') continue;
        for (const c of conjuncts(y[f] as string)) {
          const eq = projectEquality(c, (p) => projectsAliases.has(p));
          if (!eq) continue;
          const inside = eq.map((t) => t.startsWith('rel:') && aliases.has(t.slice(4)));
          if (inside[0] !== inside[1]) outside.add(uf.find(inside[0] ? eq[1] : eq[0]));
        }
      }
    }
    // pinned to two different projects (or to none): it carries no single project
    if (outside.size === 1) uf.union(`rel:${id}`, [...outside][0]!);
  };
  const cteRels = new Map<string, Rel[]>();
  // Relations a subtree scans at its own level. A CTE scan, a subquery and an aggregate that folds
  // several projects' rows into one (its group key has no project_id) each count as one relation,
  // owned when it reads owned rows; the subqueries a node evaluates (SubPlans) do not count.
  const relsOf = (n: PlanNode): Rel[] => {
    const out: Rel[] = [];
    const visit = (x: PlanNode) => {
      const alias = String(x.Alias ?? x['Relation Name'] ?? x['CTE Name'] ?? '');
      if (x['Relation Name'] !== undefined) {
        const t = tableOwned(x);
        out.push({ alias, kind: 'table', name: relName(x), tables: t ? [t] : [] });
      } else if (x['Node Type'] === 'CTE Scan') {
        const name = String(x['CTE Name']);
        out.push({ alias, kind: 'cte', name, tables: [...new Set(relsOfCte(name).flatMap((r) => r.tables))] });
      } else if (GROUPING.has(x['Node Type']) && !keepsProjects(x)) {
        let id = aggIds.get(x);
        if (!id) {
          aggIds.set(x, (id = `agg#${aggIds.size + 1}`));
          tieToOutside(id, x);
        }
        const keys = (x['Group Key'] as string[] | undefined) ?? [];
        const rs = children(x, 'main').flatMap(relsOf);
        out.push({ alias: id, kind: 'aggregate', name: keys.length ? `by ${keys.join(', ')}` : x['Node Type'], tables: [...new Set(rs.flatMap((r) => r.tables))] });
        return;
      } else if (x['Node Type'] === 'Subquery Scan') {
        const rs = children(x, 'main').flatMap(relsOf);
        out.push({ alias, kind: 'subquery', name: alias, tables: [...new Set(rs.flatMap((r) => r.tables))] });
        return;
      } else if (/Scan$/.test(x['Node Type'])) {
        out.push({ alias, kind: 'other', name: x['Node Type'], tables: [] });
      }
      // A semi or anti join returns only its outer side's rows (its inner side's for a Right one).
      const jt = String(x['Join Type'] ?? '');
      const only = /^(Semi|Anti)$/.test(jt) ? 'Outer' : /^Right (Semi|Anti)$/.test(jt) ? 'Inner' : null;
      for (const c of children(x, 'main')) if (!only || c['Parent Relationship'] === only) visit(c);
    };
    visit(n);
    return out;
  };
  function relsOfCte(name: string): Rel[] {
    if (!cteRels.has(name)) {
      cteRels.set(name, []); // a recursive CTE refers to itself
      const def = ctes.get(name);
      cteRels.set(name, def ? relsOf(def) : []);
    }
    return cteRels.get(name)!;
  }
  for (const n of walk(root)) if (n['Node Type'] === 'Subquery Scan') tieToOutside(String(n.Alias), n);
  for (const n of walk(root)) relsOf(n); // ties every aggregate before any join is judged

  const findings: JoinFinding[] = [];
  const check = (join: string, n: PlanNode, left: Rel[], right: Rel[], extra: string[] = []) => {
    const l = left.filter((r) => r.tables.length);
    const r = right.filter((x) => x.tables.length);
    if (!l.length || !r.length) return;
    const roots = new Set(l.map((x) => uf.find(`rel:${x.alias}`)));
    if (r.some((x) => roots.has(uf.find(`rel:${x.alias}`)))) return;
    const conds = COND_FIELDS.filter((f) => typeof n[f] === 'string').map((f) => `${f}: ${String(n[f])}`);
    findings.push({ phase: cap.phase, sql: cap.sql, join, conds: [...conds, ...extra], left: l, right: r });
  };
  // PostgreSQL 15 prints a SubPlan's outer values as $n and hides a hashed SubPlan's keys (the outer
  // expressions compared with its output). So a SubPlan is tied when, inside it, an owned relation's
  // project_id equals an outer value ($n), or when it is hashed and its output (the inner side of the
  // hashed comparison) carries a project_id: either comes from a correlation on project_id in the SQL.
  const subPlanOnProject = (parent: PlanNode, sp: PlanNode): boolean => {
    const name = String(sp['Subplan Name'] ?? '');
    const hashed = name !== '' && JSON.stringify(COND_FIELDS.map((f) => parent[f]).concat([parent.Output])).includes(`hashed ${name}`);
    if (hashed && ((sp.Output as string[] | undefined) ?? []).some((o) => /\.project_id$/.test(o))) return true;
    return [...walk(sp)].some((y) => COND_FIELDS.some((f) => typeof y[f] === 'string'
      && conjuncts(y[f] as string).some((c) => /^\(?[\w"]+\.project_id\)? = \$\d+$|^\$\d+ = \(?[\w"]+\.project_id\)?$/.test(c))));
  };
  const condsIn = (x: PlanNode) => [...walk(x)].flatMap((y) => COND_FIELDS.filter((f) => typeof y[f] === 'string').map((f) => `${f}: ${String(y[f])}`));
  for (const n of walk(root)) {
    if (JOINS.has(n['Node Type'])) {
      const main = children(n, 'main');
      const outer = main.find((c) => c['Parent Relationship'] === 'Outer');
      const innerSide = main.find((c) => c['Parent Relationship'] === 'Inner');
      if (outer && innerSide) {
        check(`${n['Node Type']}${n['Join Type'] ? ` (${String(n['Join Type'])})` : ''}`, n, relsOf(outer), relsOf(innerSide),
          n['Node Type'] === 'Nested Loop' ? condsIn(innerSide).slice(0, 3) : []);
      }
    }
    // A SubPlan runs per row of the node that evaluates it: a scan's own row, or the rows its inputs produce.
    const scan = n['Relation Name'] !== undefined || /Scan$/.test(n['Node Type']);
    for (const sp of children(n, 'sub')) {
      if (subPlanOnProject(n, sp)) continue;
      check(`${String(sp['Subplan Name'] ?? 'SubPlan')} of ${n['Node Type']}`, sp, scan ? relsOf(n) : children(n, 'main').flatMap(relsOf), relsOf(sp), condsIn(sp).slice(0, 3));
    }
  }
  return findings;
}

/** One line per finding, for failure messages and the docs. */
export const describeFinding = (f: JoinFinding): string => {
  const side = (rs: Rel[]) => rs.map((r) => `${r.alias}${r.kind === 'table' && r.alias === r.name ? '' : `(${r.kind === 'table' ? r.name : `${r.kind} ${r.name}: ${r.tables.join('+')}`})`}`).join(', ');
  return `[${f.phase}] ${f.join}: {${side(f.left)}} × {${side(f.right)}} ${f.conds.join(' | ')} — in: ${f.sql.replace(/\s+/g, ' ').slice(0, 160)}`;
};
