import { describe, expect, it } from 'vitest';
import { closedCycles, depositStatus, guaranteeCover, guaranteeErrors, guaranteeReminderDate, shortfall } from '../../src/modules/escrow/escrow.rules.js';

const base = { requiredFen: 1000, cashBalanceFen: 0, guaranteeCoverFen: 0, openDrawDue: null, returnStatus: null, everProvided: false, asOf: '2026-03-01' } as const;

describe('depositStatus', () => {
  it.each([
    [{}, 'due'],
    [{ cashBalanceFen: 400, everProvided: true }, 'short'],
    [{ cashBalanceFen: 400, guaranteeCoverFen: 600, everProvided: true }, 'covered'],
    [{ requiredFen: 0 }, 'covered'],
    [{ openDrawDue: '2026-03-10', everProvided: true }, 'drawn'],
    [{ openDrawDue: '2026-02-27', everProvided: true }, 'replenish_overdue'],
    [{ returnStatus: 'notice', cashBalanceFen: 1000 }, 'returning'],
    [{ returnStatus: 'released' }, 'returned'],
    [{ returnStatus: 'blocked', cashBalanceFen: 1000, everProvided: true }, 'covered'],
  ])('%j → %s', (over, want) => expect(depositStatus({ ...base, ...over } as never)).toBe(want));
  it('shortfall never negative', () => {
    expect(shortfall(1000, 300, 200)).toBe(500);
    expect(shortfall(1000, 3000, 0)).toBe(0);
  });
});

describe('guarantee letters', () => {
  const project = { startDate: '2026-01-01', plannedEndDate: '2026-12-31' };
  const terms = { irrevocable: true, payableOnDemand: true };
  it.each([
    [{ validFrom: '2026-01-01', validTo: '2027-01-01' }, []],
    [{ validFrom: '2026-01-01', validTo: '2026-12-31' }, []], // 365 days counted inclusively: one year
    [{ validFrom: '2026-01-02', validTo: '2026-12-31' }, ['body.validTo']], // 364 days
    [{ validFrom: '2026-01-01', validTo: '2026-06-30' }, ['body.validTo', 'body.validTo']],
    [{ validFrom: '2026-02-01', validTo: '2027-03-01' }, []], // a replacement letter covers from its own start
    [{ validFrom: '2026-06-01', validTo: '2027-05-31' }, []], // replacement: a year from its start, past the planned end
    [{ validFrom: '2026-01-01', validTo: '2025-01-01' }, ['body.validTo', 'body.validTo']],
  ])('%j', (g, paths) => expect(guaranteeErrors({ ...g, ...terms, amountFen: 1 }, project, 365).map((e) => e.path)).toEqual(paths));
  it('a letter must be irrevocable and payable on first demand (见索即付)', () => {
    const g = { validFrom: '2026-01-01', validTo: '2026-12-31', amountFen: 1 };
    expect(guaranteeErrors(g, project, 365).map((e) => e.path)).toEqual(['body.irrevocable', 'body.payableOnDemand']);
    expect(guaranteeErrors({ ...g, irrevocable: true, payableOnDemand: false }, project, 365).map((e) => e.path)).toEqual(['body.payableOnDemand']);
  });
  it('the same dates pass in every year: days are counted inclusively', () => {
    for (const y of [2026, 2027, 2028]) {
      expect(guaranteeErrors({ validFrom: `${y}-01-01`, validTo: `${y}-12-31`, amountFen: 1, ...terms }, { startDate: `${y}-01-01`, plannedEndDate: `${y}-12-31` }, 365)).toEqual([]);
    }
  });
  it.each([
    ['2027-01-01', '2026-12-01'],
    ['2027-03-31', '2027-02-28'],
    ['2028-03-30', '2028-02-29'],
  ])('reminder for %s is %s', (to, want) => expect(guaranteeReminderDate(to)).toBe(want));
  it('cover counts only active letters valid on asOf, minus what was called', () => {
    const g = { amountFen: 1000, calledFen: 300, validFrom: '2026-01-01', validTo: '2027-01-01', status: 'active' };
    expect(guaranteeCover(g, '2026-06-01')).toBe(700);
    expect(guaranteeCover(g, '2027-01-02')).toBe(0);
    expect(guaranteeCover({ ...g, status: 'released' }, '2026-06-01')).toBe(0);
  });
});

describe('allocation cycles', () => {
  it('monthly cycles close on their due day', () => {
    expect(closedCycles({ startMonth: '2026-01', cycleMonths: 1, dueDay: 10 }, '2026-03-10')).toEqual([
      { from: '2026-01-01', to: '2026-01-31', due: '2026-01-10' },
      { from: '2026-02-01', to: '2026-02-28', due: '2026-02-10' },
    ]);
  });
});
