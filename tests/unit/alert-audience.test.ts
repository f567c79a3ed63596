/** Issue 19 item 16: who hears which alert; the in-memory scope of the SSE fan-out agrees with the catalogue. */
import { describe, expect, it } from 'vitest';
import { ALERT_TYPES, CONTRACTOR_PROJECT_TYPES, CONTRACTOR_TYPES } from '../../src/modules/alerts/alert-catalogue.js';
import { alertVisible, type AlertRow } from '../../src/modules/alerts/alerts.service.js';
import type { Principal } from '../../src/modules/auth/auth.types.js';

const GC = '00000000-0000-4000-8000-0000000000a1';
const SUB = '00000000-0000-4000-8000-0000000000b1';
const OTHER = '00000000-0000-4000-8000-0000000000c1';
const P1 = '00000000-0000-4000-8000-0000000000d1';
const contractor = (companyId: string): Principal => ({ id: `k-${companyId}`, role: 'contractor', companyId, bankId: null, countyCodes: [], industries: [], label: '' });
const row = (type: string, o: Partial<AlertRow> = {}): AlertRow => ({
  seq: 1, id: 'x', type, severity: 'red', event_type: 'e', county_code: '220702', industry: 'housing', project_id: P1, company_id: null,
  owner_key_id: null, message_zh: '', message_en: '', link: null, data: {}, created_at: new Date(),
  kind: 'event', transition: null, state_key: null, project_name: null, company_name: null, ...o,
});

describe('alert audiences', () => {
  it('every type names its contractor audience; platform and bank matters reach no contractor; blacklist matters only the company', () => {
    for (const a of Object.values(ALERT_TYPES)) expect(['project', 'company', 'none']).toContain(a.contractors);
    expect(ALERT_TYPES.calendar_year_uncovered!.contractors).toBe('none');
    expect(ALERT_TYPES.bank_record_orphan!.contractors).toBe('none');
    expect(ALERT_TYPES.blacklist_proposed!.contractors).toBe('company');
    for (const t of ['case_gc_order', 'case_deposit_notice', 'deposit_short', 'guarantee_expiring', 'deposit_replenishment_due', 'approval_missing', 'case_order_ignored']) {
      expect(CONTRACTOR_PROJECT_TYPES, t).toContain(t);
    }
    expect(CONTRACTOR_TYPES).not.toContain('subscription_paused');
  });

  it('the SSE scope: the GC of the project, the company named, the employer named in the data; nobody else', () => {
    const gcProjects = new Set([P1]);
    expect(alertVisible(contractor(GC), row('case_gc_order'), gcProjects)).toBe(true);
    expect(alertVisible(contractor(SUB), row('case_gc_order', { data: { employerId: SUB } }), new Set())).toBe(true);
    expect(alertVisible(contractor(SUB), row('deposit_short'), new Set())).toBe(false);
    expect(alertVisible(contractor(OTHER), row('case_gc_order'), new Set())).toBe(false);
    // Company-only: the GC of the project does not hear the subcontractor's blacklist proposal.
    expect(alertVisible(contractor(GC), row('blacklist_proposed', { company_id: SUB }), gcProjects)).toBe(false);
    expect(alertVisible(contractor(SUB), row('blacklist_proposed', { company_id: SUB }), new Set())).toBe(true);
    expect(alertVisible(contractor(GC), row('calendar_year_uncovered', { company_id: GC }), gcProjects)).toBe(false);
  });
});
